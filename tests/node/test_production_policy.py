from ordo.node.production_policy import (
    QUIET_PENDING,
    next_block_timestamp,
    seconds_until_next_block,
)


def test_a_quiet_chain_builds_at_once() -> None:
    # just after a block, with one or a few transactions pending: no block time is waited out
    assert seconds_until_next_block(10.0, 9.99, 1, 0.25, 2.0) == 0.0
    assert seconds_until_next_block(10.0, 10.0, QUIET_PENDING, 0.25, 2.0) == 0.0


def test_a_busy_chain_waits_for_the_block_time() -> None:
    busy = QUIET_PENDING + 1
    assert abs(seconds_until_next_block(10.0, 9.9, busy, 0.25, 2.0) - 0.15) < 1e-9
    assert seconds_until_next_block(10.0, 9.0, busy, 0.25, 2.0) == 0.0


def test_quiet_starts_off_waits_for_the_block_time_like_a_fixed_period() -> None:
    # quiet_pending=0 (--quiet-pending 0): one pending transaction waits out the block time
    assert abs(seconds_until_next_block(10.0, 9.9, 1, 0.25, 2.0, quiet_pending=0) - 0.15) < 1e-9
    assert seconds_until_next_block(10.0, 9.0, 1, 0.25, 2.0, quiet_pending=0) == 0.0
    # and a smaller threshold makes a chain busy sooner
    assert seconds_until_next_block(10.0, 9.9, 3, 0.25, 2.0, quiet_pending=2) > 0.0
    assert seconds_until_next_block(10.0, 9.9, 2, 0.25, 2.0, quiet_pending=2) == 0.0


def test_nothing_pending_waits_for_heartbeat() -> None:
    assert abs(seconds_until_next_block(10.0, 9.0, 0, 0.25, 2.0) - 1.0) < 1e-9
    assert seconds_until_next_block(12.5, 9.0, 0, 0.25, 2.0) == 0.0


def test_timestamps_never_decrease_and_may_repeat() -> None:
    assert next_block_timestamp(100.9, 100) == 100
    assert next_block_timestamp(101.2, 100) == 101
    assert next_block_timestamp(99.0, 100) == 100  # clock stepped back: keep the parent's second


def test_peer_addresses_are_validated() -> None:
    import pytest

    from ordo.config.node_config import ConfigError, parse_peer

    assert parse_peer("127.0.0.1:30303") == ("127.0.0.1", 30303)
    for bad in ["x", "1.2.3.4:", "1.2.3.4:99999", ":3", "host:port"]:
        with pytest.raises(ConfigError, match="peer"):
            parse_peer(bad)
