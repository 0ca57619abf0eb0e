"""First-run creation of a devnet's genesis and keys, and their reuse on later runs.

Nothing here ever overwrites an existing file: a devnet's genesis and keys define its chain, so
a second run must resume the same chain, and a damaged file is reported rather than replaced.
Options that would change an existing chain (node count, stakes, epoch length) are refused
rather than silently ignored: the operator would otherwise believe they took effect.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ordo.core.genesis import ConsensusRules, Genesis, GenesisValidator, devnet_genesis
from ordo.devnet.layout import DevnetLayout
from ordo.keys.key_file import (
    KeyFileError,
    create_key_file,
    key_address,
    read_key_file,
    write_new_file,
)

DEFAULT_STAKE = 100
DEVNET_EPOCH_LENGTH = 20
"""Short epochs, so that producer rotation shows within a minute of blocks."""


class DevnetSetupError(Exception):
    """A devnet file exists but cannot be used, or the options contradict it; the message names
    the file or option and the problem."""


MAX_DEVNET_CHALLENGE_WINDOW = 86_400
"""A day: a devnet's sequencers would otherwise wait days to exit."""
MIN_DISPUTE_CLOCK = 4
"""The game's clock must hold at least two extensions of at least a second each."""


@dataclass(frozen=True)
class DevnetShape:
    """What the operator asked for; None means what the data dir holds (or the default)."""

    nodes: int | None = None
    stakes: tuple[int, ...] | None = None
    epoch_length: int | None = None
    challenge_window: int | None = None
    """Seconds (devnets on an L1 only)."""
    sequencer_timeout: int | None = None
    """Seconds (new devnets on an L1 only)."""
    dispute_clock: int | None = None
    """Seconds per side of the dispute game (new devnets on an L1 only); None: the devnet's."""

    def __post_init__(self) -> None:
        if self.dispute_clock is not None and not \
                MIN_DISPUTE_CLOCK <= self.dispute_clock <= MAX_DEVNET_CHALLENGE_WINDOW:
            raise DevnetSetupError(f"--dispute-clock {self.dispute_clock}: use "
                                   f"{MIN_DISPUTE_CLOCK} to {MAX_DEVNET_CHALLENGE_WINDOW} "
                                   "seconds on a devnet")
        if self.sequencer_timeout is not None and not \
                1 <= self.sequencer_timeout <= MAX_DEVNET_CHALLENGE_WINDOW:
            raise DevnetSetupError(f"--sequencer-timeout {self.sequencer_timeout}: use 1 to "
                                   f"{MAX_DEVNET_CHALLENGE_WINDOW} seconds on a devnet")
        if self.challenge_window is not None and not \
                1 <= self.challenge_window <= MAX_DEVNET_CHALLENGE_WINDOW:
            raise DevnetSetupError(f"--challenge-window {self.challenge_window}: use 1 to "
                                   f"{MAX_DEVNET_CHALLENGE_WINDOW} seconds on a devnet")
        if self.nodes is not None and self.nodes < 1:
            raise DevnetSetupError(f"--nodes {self.nodes}: a devnet needs at least one node")
        if self.stakes is not None:
            if not self.stakes or any(stake <= 0 for stake in self.stakes):
                raise DevnetSetupError(f"--stakes {_stakes_text(self.stakes)}: every stake must "
                                       "be a positive integer")
            if self.nodes is not None and len(self.stakes) != self.nodes:
                raise DevnetSetupError(
                    f"--stakes {_stakes_text(self.stakes)}: {len(self.stakes)} stakes for "
                    f"--nodes {self.nodes}; give one positive integer per node")
        if self.epoch_length is not None and self.epoch_length < 1:
            raise DevnetSetupError(f"--epoch-length {self.epoch_length}: must be at least 1")

    @property
    def new_node_count(self) -> int:
        """Node count of a devnet created from these options."""
        if self.nodes is not None:
            return self.nodes
        return len(self.stakes) if self.stakes is not None else 1


def parse_stakes(text: str) -> tuple[int, ...]:
    """``"100,100,50"`` -> (100, 100, 50); raises DevnetSetupError naming the bad entry."""
    stakes = []
    for entry in text.split(","):
        entry = entry.strip()
        if not entry.isdigit() or int(entry) <= 0:
            raise DevnetSetupError(f"--stakes {text!r}: {entry!r} is not a positive integer; "
                                   "use one per node, e.g. --stakes 100,100,100,100")
        stakes.append(int(entry))
    return tuple(stakes)


@dataclass(frozen=True)
class ProvisionedNode:
    index: int
    data_dir: Path
    signer_key_path: Path
    signer_address: str
    node_key_path: Path
    peer_id: str
    """Address of the p2p node key: how the other nodes know this one."""
    stake: int


@dataclass(frozen=True)
class ProvisionedDevnet:
    genesis: Genesis
    genesis_path: Path
    nodes: tuple[ProvisionedNode, ...]
    created: tuple[Path, ...]
    """Files written by this run (empty when everything was reused)."""


def provision(layout: DevnetLayout, shape: DevnetShape) -> ProvisionedDevnet:
    """Make sure the data dir holds a genesis and keys for every node; create what is missing."""
    created: list[Path] = []
    layout.root.mkdir(parents=True, exist_ok=True)
    if layout.genesis_path.exists():
        genesis = load_genesis(layout.genesis_path)
        _check_resumable(layout, genesis, shape)
        signers = [existing_signer_key(layout, index, "0x" + validator.address.hex())
                   for index, validator in enumerate(genesis.validators)]
    else:
        count = shape.new_node_count
        signers = [new_signer_key(layout, index, created) for index in range(count)]
        stakes = shape.stakes or (DEFAULT_STAKE,) * count
        genesis = devnet_genesis(
            validators=tuple(GenesisValidator(bytes.fromhex(key_address(key)[2:]), stake)
                             for key, stake in zip(signers, stakes, strict=True)),
            consensus=ConsensusRules(epoch_length=shape.epoch_length or DEVNET_EPOCH_LENGTH))
        write_new_file(layout.genesis_path, json.dumps(genesis.to_json(), indent=2) + "\n",
                       mode=0o644)
        created.append(layout.genesis_path)
    nodes = [provisioned_node(layout, index, signer, validator.stake, created)
             for index, (signer, validator) in enumerate(zip(signers, genesis.validators,
                                                             strict=True))]
    return ProvisionedDevnet(genesis=genesis, genesis_path=layout.genesis_path,
                             nodes=tuple(nodes), created=tuple(created))


def provisioned_node(layout: DevnetLayout, index: int, signer: bytes, stake: int,
                     created: list[Path]) -> ProvisionedNode:
    """Node ``index``'s files, its p2p key created if missing."""
    node_key = _node_key(layout, index, created)
    return ProvisionedNode(
        index=index, data_dir=layout.node_dir(index),
        signer_key_path=layout.signer_key_path(index), signer_address=key_address(signer),
        node_key_path=layout.node_key_path(index), peer_id=key_address(node_key), stake=stake)


def _check_resumable(layout: DevnetLayout, genesis: Genesis, shape: DevnetShape) -> None:
    path = layout.genesis_path
    if genesis.l1 is not None:
        raise DevnetSetupError(
            f"{path}: this devnet takes its validators from the locking pool "
            f"0x{genesis.l1.locking_pool.hex()} on L1 chain {genesis.l1.chain_id}; run it "
            "without --l1 none (with --l1-rpc if it was created on an external L1)")
    if not genesis.validators:
        raise DevnetSetupError(f"{path}: lists no validators (written by an older ordo); "
                               f"remove {layout.root} to start a new chain")
    held = len(genesis.validators)
    resume_hint = "drop the option to resume it, or use another --data-dir"
    if shape.nodes is not None and shape.nodes != held:
        raise DevnetSetupError(f"--nodes {shape.nodes}: {layout.root} holds a {held}-node "
                               f"devnet ({path} lists {held} validators); {resume_hint}")
    stakes = tuple(validator.stake for validator in genesis.validators)
    if shape.stakes is not None and shape.stakes != stakes:
        raise DevnetSetupError(f"--stakes {_stakes_text(shape.stakes)}: {path} fixes the stakes "
                               f"at {_stakes_text(stakes)}; {resume_hint}")
    epoch_length = genesis.consensus.epoch_length
    if shape.epoch_length is not None and shape.epoch_length != epoch_length:
        raise DevnetSetupError(f"--epoch-length {shape.epoch_length}: {path} fixes it at "
                               f"{epoch_length}; {resume_hint}")


def existing_signer_key(layout: DevnetLayout, index: int, expected: str,
                        source: Path | None = None) -> bytes:
    """Node ``index``'s signer key, which ``source`` (the genesis by default) says belongs to
    ``expected`` (0x, lower case)."""
    path = layout.signer_key_path(index)
    source = source or layout.genesis_path
    if not path.exists():
        raise DevnetSetupError(f"{path}: missing, but {source} lists validator "
                               f"{expected} for node {index}; restore the key or remove "
                               f"{layout.root} to start a new chain")
    key = load_signer_key(path)
    if key_address(key).lower() != expected:
        raise DevnetSetupError(f"{path}: belongs to {key_address(key)}, but "
                               f"{source} lists validator {expected} for node "
                               f"{index}; restore the right key")
    return key


def new_signer_key(layout: DevnetLayout, index: int, created: list[Path]) -> bytes:
    """Reuse a key left by an interrupted first run: its genesis was never written."""
    layout.node_dir(index).mkdir(parents=True, exist_ok=True)
    path = layout.signer_key_path(index)
    if path.exists():
        return load_signer_key(path)
    created.append(path)
    return create_key_file(path)


def _node_key(layout: DevnetLayout, index: int, created: list[Path]) -> bytes:
    """A p2p identity is not part of the chain: a missing one is simply created."""
    layout.node_dir(index).mkdir(parents=True, exist_ok=True)
    path = layout.node_key_path(index)
    if path.exists():
        try:
            return read_key_file(path, "node key")
        except KeyFileError as error:
            raise DevnetSetupError(str(error)) from error
    created.append(path)
    return create_key_file(path)


def load_genesis(path: Path) -> Genesis:
    try:
        return Genesis.load(path)
    except OSError as error:
        raise DevnetSetupError(f"{path}: cannot read genesis: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise DevnetSetupError(f"{path}: not valid JSON ({error.msg} at line {error.lineno}); "
                               "fix or remove it (removing starts a new chain)") from error
    except ValueError as error:
        raise DevnetSetupError(f"{path}: {error}") from error


def load_signer_key(path: Path) -> bytes:
    """Read a signer key file: 64 hex digits, optionally 0x-prefixed, surrounding space ignored."""
    try:
        return read_key_file(path, "signer key")
    except KeyFileError as error:
        raise DevnetSetupError(str(error)) from error


def signer_address(key: bytes) -> str:
    return key_address(key)


def _stakes_text(stakes: tuple[int, ...]) -> str:
    return ",".join(str(stake) for stake in stakes)
