"""The end-of-run checks find each broken promise and pass a clean run."""

from __future__ import annotations

from ordo.chaos.invariants import (
    RestartOutcome,
    canonical_chain,
    check_identical_chains,
    check_receipts_final,
    check_recovery,
    check_restarts,
    classify,
    repair_signs,
    tally_outcomes,
)
from ordo.chaos.transfer_load import SentTransaction


def test_identical_chains_pass_and_a_differing_block_is_named() -> None:
    chains = {0: {0: "g", 1: "a", 2: "b"}, 1: {0: "g", 1: "a"}, 2: {0: "g", 1: "a", 2: "b"}}
    assert check_identical_chains(chains) == []
    chains[2][2] = "x"
    (violation,) = check_identical_chains(chains)
    assert "block 2 differs" in violation and "'x'" in violation
    assert canonical_chain(chains) == {0: "g", 1: "a", 2: "b"}


def sent(tx_hash: str, receipt: tuple[int, str] | None = None) -> SentTransaction:
    return SentTransaction(account=0, nonce=0, raw="0x", hash=tx_hash, acknowledged=True,
                           receipt_block=receipt)


def test_a_receipt_from_a_block_outside_the_final_chain_is_a_violation() -> None:
    canonical = {1: "a", 2: "b"}
    assert check_receipts_final([sent("t1", (1, "a")), sent("t2")], canonical) == []
    (violation,) = check_receipts_final([sent("t3", (2, "z"))], canonical)
    assert violation.startswith("t3") and "holds b" in violation
    (missing,) = check_receipts_final([sent("t4", (9, "q"))], canonical)
    assert "holds None" in missing


def test_classify_prefers_final_then_pending_then_dropped_with_reason() -> None:
    canonical = {5: "0xb5"}
    included = {"status": "included", "blockNumber": "0x5", "blockHash": "0xb5"}
    elsewhere = {"status": "included", "blockNumber": "0x5", "blockHash": "0xother"}
    pending = {"status": "pending"}
    dropped = {"status": "dropped", "reason": "replaced"}
    unknown = {"status": "unknown"}
    assert classify("t", [unknown, included], canonical) == ("final", None)
    assert classify("t", [elsewhere, pending], canonical) == ("pending", None)
    assert classify("t", [unknown, dropped], canonical) == ("dropped", "replaced")
    assert classify("t", [{"status": "dropped", "reason": ""}], canonical) == ("lost", None)
    assert classify("t", [unknown, elsewhere], canonical) == ("lost", None)
    assert classify("t", [], canonical) == ("lost", None)


def test_tally_counts_outcomes_and_reasons_and_names_lost_hashes() -> None:
    kinds, reasons, violations = tally_outcomes({
        "a": ("final", None), "b": ("final", None), "c": ("dropped", "evicted"),
        "d": ("lost", None), "e": ("pending", None)})
    assert kinds == {"final": 2, "dropped": 1, "lost": 1, "pending": 1}
    assert reasons == {"evicted": 1}
    assert len(violations) == 1 and violations[0].startswith("d:")


def test_restart_checks() -> None:
    good = RestartOutcome(node=1, ready_after=2.0, final_before=10, head_after=12, log_signs=())
    assert check_restarts([good]) == []
    never = RestartOutcome(node=2, ready_after=None, final_before=10, head_after=None,
                           log_signs=())
    behind = RestartOutcome(node=3, ready_after=1.0, final_before=10, head_after=4,
                            log_signs=())
    damaged = RestartOutcome(node=0, ready_after=1.0, final_before=1, head_after=4,
                             log_signs=("undecodable",))
    violations = check_restarts([never, behind, damaged])
    assert len(violations) == 3
    assert "node 2 did not answer" in violations[0]
    assert "block 4, below its final block 10" in violations[1]
    assert "undecodable" in violations[2]


def test_repair_signs_in_logs() -> None:
    assert repair_signs("INFO node ready\nINFO block 3 final") == ()
    assert repair_signs("WARNING journal entry undecodable, dropped") == ("undecodable",)
    assert "Traceback" in repair_signs("Traceback (most recent call last):")


def test_recovery_bound() -> None:
    assert check_recovery(3.0, 30.0) == []
    assert "took 31.0s" in check_recovery(31.0, 30.0)[0]
    assert check_recovery(None, 30.0) == ["no block became final after the last heal"]
