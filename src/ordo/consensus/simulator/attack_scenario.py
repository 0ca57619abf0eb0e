"""Scenarios for the scripted attacks: stakes, roles and a genesis that give the attack its turn.

Lock attack (Byzantine stake < 1/3): the honest validators are split into deciders D, lockers L
and unaware U such that D + L + Z is a quorum (D and L lock on A in round r, D decides A with
the Byzantine precommits Z), D + L is not (L does not decide), and L + U + Z is a quorum (in
round r + 1, without D, they could decide another value if the lockers let go of A).

Third attack (Byzantine stake exactly 1/3): the honest stake is split into two equal halves G1
and G2; the Byzantine proposer gives each half its own block. Quorums of > 2/3 keep this safe
(any two intersect in more than the Byzantine third); ">= 2/3" does not. Liveness is not
promised with a Byzantine third, so only agreement and validity are checked.

The genesis hash is salted until the proposer order gives a Byzantine validator the round the
plan needs (round r + 1, or round r for the third attack, with r of 0 or 1), so that the attack
starts early; the adversary still derives the rounds from the nodes' actual schedule.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Sequence

from ordo.consensus.simulator.identities import first_epoch_order, sim_genesis_hash
from ordo.consensus.simulator.scenario import Attack, Behaviour, Scenario

ATTACK_WINDOW_MS = 6000
RECOVERY_WINDOW_MS = 2000  # the kept-back decision spreads at once when the network heals
MAX_SALTS = 500
MAX_STAKE_DRAWS = 50
EXHAUSTIVE_ROLES = 3**8  # beyond 8 honest validators, sample this many labellings instead


def _is_quorum(stake: int, total: int) -> bool:
    return 3 * stake > 2 * total


def find_lock_roles(
    stakes: Sequence[int], byzantine: Sequence[int]
) -> list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]:
    """The (D, L, U) splits of the honest validators that the lock attack can use: all of them
    for up to 8 honest validators, else those among a fixed sample of labellings."""
    total = sum(stakes)
    z = sum(stakes[index] for index in byzantine)
    honest = [index for index in range(len(stakes)) if index not in byzantine]
    labellings: Iterable[tuple[int, ...]]
    if 3 ** len(honest) <= EXHAUSTIVE_ROLES:
        labellings = itertools.product(range(3), repeat=len(honest))
    else:
        sampler = random.Random(f"ordo-sim-roles:{tuple(stakes)}:{tuple(byzantine)}")
        labellings = (tuple(sampler.randrange(3) for _ in honest) for _ in range(EXHAUSTIVE_ROLES))
    roles = []
    for labels in labellings:
        groups = tuple(
            tuple(index for index, label in zip(honest, labels, strict=True) if label == role)
            for role in range(3)
        )
        if not all(groups):
            continue
        d, lock, u = (sum(stakes[index] for index in group) for group in groups)
        if (
            _is_quorum(d + lock + z, total)
            and not _is_quorum(d + lock, total)
            and _is_quorum(lock + u + z, total)
        ):
            roles.append((groups[0], groups[1], groups[2]))
    return sorted(set(roles))


def _split_stake(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` as ``parts`` positive integers, uniformly among compositions."""
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def _salt_for(
    rng: random.Random, seed: int, stakes: Sequence[int], fits: Callable[[Sequence[int]], bool]
) -> int:
    """A genesis salt whose first-epoch proposer order (as node indexes) ``fits`` the plan."""
    start = rng.randrange(1, 1 << 20)
    for salt in range(start, start + MAX_SALTS):
        if fits(first_epoch_order(stakes, sim_genesis_hash(seed, salt))):
            return salt
    return 0  # practically unreachable; the adversary then waits for a later round


def _scenario(
    rng: random.Random,
    seed: int,
    attack: Attack,
    stakes: Sequence[int],
    chosen: Sequence[int],
    groups: tuple[tuple[int, ...], ...],
    salt: int,
) -> Scenario:
    """The network of an attack: mostly reliable and fast (the adversary, not chance, decides
    what is late), sometimes a little lossy."""
    lossy = rng.random() < 0.5
    third = attack == Attack.THIRD
    return Scenario(
        seed=seed,
        kind=attack.value,
        nodes=len(stakes),
        stakes=tuple(stakes),
        byzantine=tuple((index, Behaviour.ADVERSARY) for index in chosen),
        drop_rate=rng.uniform(0.01, 0.05) if lossy else 0.0,
        duplicate_rate=rng.uniform(0.0, 0.1) if lossy else 0.0,
        min_delay_ms=rng.randint(1, 10),
        max_delay_ms=rng.randint(15, 60),
        slow_rate=0.0,
        slow_links=(frozenset(),),
        slow_decisions=0.0,
        partitions=(),
        crashes=(),
        epoch_length=rng.choice((3, 5, 1000)),
        stable_at_ms=ATTACK_WINDOW_MS,
        end_ms=ATTACK_WINDOW_MS if third else ATTACK_WINDOW_MS + RECOVERY_WINDOW_MS,
        attack=attack,
        genesis_salt=salt,
        attack_height=rng.choice((1, 2)),
        attack_groups=groups,
        check_liveness=not third,
    )


def _lock_scenario(rng: random.Random, seed: int, nodes: int, byzantine: int) -> Scenario:
    if byzantine < 1 or 3 * byzantine >= nodes or nodes - byzantine < 3:
        raise ValueError("lock attack: need 1 <= byzantine < nodes / 3 and 3 honest validators")
    chosen = sorted(rng.sample(range(nodes), byzantine))
    roles: list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = []
    stakes = [1] * nodes
    for draw in range(MAX_STAKE_DRAWS):
        stakes = (
            [1] * nodes
            if draw == 0 and rng.random() < 0.5
            else [rng.randint(1, 10) for _ in range(nodes)]
        )
        honest = [index for index in range(nodes) if index not in chosen]
        while 3 * sum(stakes[index] for index in chosen) >= sum(stakes):
            stakes[rng.choice(honest)] += 1
        roles = find_lock_roles(stakes, chosen)
        if roles:
            break
    else:
        stakes = [1] * nodes
        roles = find_lock_roles(stakes, chosen)
    attack_round = rng.choice((0, 1))

    def fits(order: Sequence[int]) -> bool:
        # a Byzantine proposer in round r + 1; round r's must see A: it is not one of U
        return order[attack_round + 1] in chosen and any(
            order[attack_round] not in role[2] for role in roles
        )

    salt = _salt_for(rng, seed, stakes, fits)
    first_proposer = first_epoch_order(stakes, sim_genesis_hash(seed, salt))[attack_round]
    fitting = [role for role in roles if first_proposer not in role[2]] or roles
    return _scenario(rng, seed, Attack.LOCK, stakes, chosen, rng.choice(fitting), salt)


def _third_scenario(rng: random.Random, seed: int, nodes: int, byzantine: int) -> Scenario:
    if byzantine < 1 or nodes - byzantine < 2:
        raise ValueError("third attack: need 1 <= byzantine <= nodes - 2")
    members = list(range(nodes))
    rng.shuffle(members)
    chosen = sorted(members[:byzantine])
    honest = members[byzantine:]
    cut = rng.randint(1, len(honest) - 1)
    groups = (tuple(sorted(honest[:cut])), tuple(sorted(honest[cut:])))
    largest = max(byzantine, len(groups[0]), len(groups[1]))
    third = largest + rng.randint(0, 3)
    stakes = [0] * nodes
    for group in (chosen, *groups):
        for index, stake in zip(group, _split_stake(rng, third, len(group)), strict=True):
            stakes[index] = stake
    attack_round = rng.choice((0, 1))
    salt = _salt_for(rng, seed, stakes, lambda order: order[attack_round] in chosen)
    return _scenario(rng, seed, Attack.THIRD, stakes, chosen, groups, salt)


def make_attack_scenario(seed: int, nodes: int, byzantine: int, attack: Attack) -> Scenario:
    """The scenario of ``seed`` for a scripted attack (raises ValueError on impossible sizes)."""
    rng = random.Random(f"ordo-sim-attack:{attack.value}:{seed}:{nodes}:{byzantine}")
    if attack == Attack.LOCK:
        return _lock_scenario(rng, seed, nodes, byzantine)
    if attack == Attack.THIRD:
        return _third_scenario(rng, seed, nodes, byzantine)
    raise ValueError(f"not a scripted attack: {attack.value}")
