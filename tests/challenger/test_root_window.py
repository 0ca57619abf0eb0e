"""The root claim stays open to attack, and unresolved, until the batch's challenge window is
over, whatever its own clock says (DisputeGame: audit finding 5); the challenger's model of the
game follows, so it neither gives up on a root it may still attack nor resolves it too early."""

from __future__ import annotations

from ordo.challenger.game_model import STATUS_OPEN, Claim, Game, GameRules

ZERO = bytes(20)


def game_landed_at(landed_at: int) -> Game:
    root = Claim(index=0, parent_index=0, countered_by=ZERO, claimant=ZERO, bond=0,
                 value=b"\x01" * 32, position=1, clock_duration=0, clock_timestamp=landed_at)
    return Game(game_id=1, batch_index=0, batch_hash=b"\x02" * 32, root_claim=root.value,
                start_root=b"\x03" * 32, inputs_root=b"\x04" * 32, block_count=1,
                status=STATUS_OPEN, claims=(root,), landed_at=landed_at)


def test_the_root_may_be_attacked_until_the_window_is_over() -> None:
    rules = GameRules(max_game_depth=2, max_clock_duration=10, clock_extension=1,
                      bonds=(0, 1, 2), challenge_window=50)
    game = game_landed_at(100)
    assert game.can_counter(0, 120, rules)  # its clock ran out at 110; the window has not
    assert game.seconds_to_counter(0, 120, rules) == 30
    assert not game.can_counter(0, 150, rules)
    assert game.seconds_to_counter(0, 150, rules) == 0
    without_window = GameRules(max_game_depth=2, max_clock_duration=10, clock_extension=1,
                               bonds=(0, 1, 2))
    assert not game.can_counter(0, 120, without_window)
