"""Position arithmetic of the claim tree, as DisputeGame.vy computes it (generalized indexes:
depth d, index i at position 2^d + i; attack 2p, defend 2(p + 1)).

Pure functions of a position and the game's depths, so the solver, the CLI and the tests read
a claim exactly as the contract does.
"""

from __future__ import annotations

SPLIT_DEPTH = 10
"""DisputeGame.SPLIT_DEPTH: output claims down to depth 10 (2^10 = MAX_BATCH_BLOCKS leaves)."""


def depth(position: int) -> int:
    """floor(log2(position))."""
    if position < 1:
        raise ValueError(f"position {position} is not a generalized index (>= 1)")
    return position.bit_length() - 1


def trace_index(position: int, to_depth: int) -> int:
    """Index at ``to_depth`` of the rightmost descendant of ``position``: the trace point the
    claim commits to."""
    levels = to_depth - depth(position)
    if levels < 0:
        raise ValueError(f"position {position} is below depth {to_depth}")
    return ((position << levels) | ((1 << levels) - 1)) - (1 << to_depth)


def attack_position(position: int) -> int:
    return 2 * position


def defend_position(position: int) -> int:
    return 2 * (position + 1)


def is_output_position(position: int) -> bool:
    return depth(position) <= SPLIT_DEPTH


def block_position(position: int) -> int:
    """The batch block (0-based) whose step trace a step claim's subgame bisects: the output
    leaf its subgame root attacks, or the block after the leaf it defends; both are the
    subgame root's position halved, minus 2^SPLIT_DEPTH."""
    here = depth(position)
    if here <= SPLIT_DEPTH:
        raise ValueError(f"position {position} is an output claim, not a step claim")
    subgame_root = position >> (here - SPLIT_DEPTH - 1)
    return (subgame_root >> 1) - (1 << SPLIT_DEPTH)


def step_index(position: int, max_game_depth: int) -> int:
    """The state a step claim commits to: 1 .. 2^max_step_depth (0 is the block's first
    state, which no claim holds)."""
    max_step_depth = max_game_depth - SPLIT_DEPTH - 1
    return trace_index(position, max_game_depth) % (1 << max_step_depth) + 1
