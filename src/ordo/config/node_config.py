"""Configuration of one node process.

Every field is validated on load with an error that names the key, the bad value and what is
allowed, because an operator's typo must never surface as a stack trace minutes later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ordo.network.node_key import parse_peer_key
from ordo.rpc.cors import CorsConfigError, CorsPolicy, parse_origins


class ConfigError(ValueError):
    """A configuration value is missing or not allowed; the message says which and why."""


@dataclass(frozen=True)
class NodeConfig:
    data_dir: Path
    genesis_path: Path
    rpc_host: str = "127.0.0.1"
    rpc_port: int = 8545
    block_time: float = 0.25
    """Minimum seconds between blocks while more than QUIET_PENDING (16) transactions are
    pending; fewer start a block at once (node/production_policy.py)."""
    heartbeat_interval: float = 2.0
    """Seconds after which an empty block is produced when nothing is pending."""
    quiet_pending: int = 16
    """At most this many pending transactions start a block at once; 0: every block waits
    block_time after the previous one, as geth's --dev.period (node/production_policy.py)."""
    fee_recipient: bytes = field(default=b"\x00" * 20)
    """Address credited with priority fees of blocks this node produces."""
    signer_key_path: Path | None = None
    """Raw hex secp256k1 key file of this node's sequencer signer (created by the devnet)."""
    p2p_host: str = "127.0.0.1"
    p2p_port: int = 30303
    """TCP port of the authenticated peer-to-peer transport."""
    peers: tuple[tuple[str, int], ...] = ()
    """Static peers (host, p2p port) this node keeps connections to."""
    node_key_path: Path | None = None
    """Hex secp256k1 key file of this node's p2p identity; created (mode 0600) if missing.
    None keeps it at data_dir/node.key."""
    allowed_peers: frozenset[bytes] | None = None
    """Sentry restriction: node addresses of the only peers admitted, inbound and outbound
    (``--peer-allow`` / ``[p2p] allowed_peers``). None admits any peer on this chain. The
    validator set names signer addresses, not node keys, so the set's nodes are listed here too."""
    password_file: Path | None = None
    """File whose first line unlocks an encrypted keystore signer key."""
    password_env: str | None = None
    """Environment variable holding the password of an encrypted keystore signer key."""
    metrics_port: int | None = None
    """TCP port of the Prometheus /metrics endpoint (on rpc_host); None serves no metrics."""
    l1_rpc: str | None = None
    """Ethereum (L1) JSON-RPC URL. Required when the genesis names an L1 locking pool: the node
    reads each epoch's sequencer set from it and checks the L1 origin of every block."""
    rpc_cors_origins: str = "*"
    """Browser origins allowed to call the JSON-RPC server, comma-separated, or ``*`` (the
    default: like a public endpoint, it signs nothing for its callers); empty allows no page."""
    engine: str = "auto"
    """Execution engine for blocks: ``native`` (revm, where it was built at install), ``py-evm``
    (the reference) or ``auto`` (native where built, else py-evm, saying so once)."""
    shadow_check: int = 0
    """Re-execute every Nth block of the native engine with py-evm and log any difference at
    ERROR (0: off)."""
    batch_takeover: float = 20.0
    """Seconds this sequencer waits, per rank after the epoch's producer, before it posts a
    ready batch that has not landed (the producer posts at once)."""
    challenger: bool = True
    """Play the dispute game for this node's chain (``ordo.challenger``): dispute wrong batch
    roots, defend right ones, bonding from the signer key; ``--no-challenger`` turns it off."""

    def __post_init__(self) -> None:
        check_port("rpc_port", self.rpc_port)
        check_port("p2p_port", self.p2p_port)
        if self.metrics_port is not None:
            check_port("metrics_port", self.metrics_port)
            if self.metrics_port == self.rpc_port:
                raise ConfigError(f"metrics_port: {self.metrics_port} is the rpc_port; allowed "
                                  "is any other free TCP port")
        if self.allowed_peers is not None and (
                not self.allowed_peers or any(len(peer) != 20 for peer in self.allowed_peers)):
            raise ConfigError("allowed_peers: must name at least one 20-byte node address (an "
                              "empty allow-list would refuse every peer)")
        for index, (host, port) in enumerate(self.peers):
            if not host:
                raise ConfigError(f"peers[{index}]: empty host; use host:port")
            check_port(f"peers[{index}]", port)
        if not 0.01 <= self.block_time <= 60:
            raise ConfigError(f"block_time: {self.block_time!r} is not allowed; "
                              "use seconds between 0.01 and 60")
        if not 0 <= self.quiet_pending <= 10_000:
            raise ConfigError(f"quiet_pending: {self.quiet_pending!r} is not allowed; "
                              "use a number of transactions from 0 to 10000")
        if not self.block_time <= self.heartbeat_interval <= 3600:
            raise ConfigError(f"heartbeat_interval: {self.heartbeat_interval!r} is not allowed; "
                              "use seconds between block_time and 3600")
        if self.l1_rpc is not None and not self.l1_rpc.startswith(("http://", "https://")):
            raise ConfigError(f"l1_rpc: {self.l1_rpc!r} is not allowed; use an http:// or "
                              "https:// URL of an Ethereum JSON-RPC endpoint")
        if isinstance(self.batch_takeover, bool) or \
                not isinstance(self.batch_takeover, int | float) or \
                not 1 <= self.batch_takeover <= 3600:
            raise ConfigError(f"batch_takeover: {self.batch_takeover!r} is not allowed; use "
                              "seconds between 1 and 3600")
        if not isinstance(self.rpc_cors_origins, str):
            raise ConfigError(f"rpc_cors_origins: {self.rpc_cors_origins!r} is not allowed; use "
                              "a comma-separated string of origins, or '*'")
        try:
            self.rpc_cors_policy()
        except CorsConfigError as error:
            raise ConfigError(f"rpc_cors_origins: {error}") from None
        if len(self.fee_recipient) != 20:
            raise ConfigError(f"fee_recipient: 0x{self.fee_recipient.hex()} is not a 20-byte "
                              "address")


    def rpc_cors_policy(self) -> CorsPolicy:
        return parse_origins(self.rpc_cors_origins)


def check_port(key: str, port: int) -> None:
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigError(f"{key}: {port!r} is not allowed; use a TCP port from 1 to 65535")


def parse_allowed_peers(key: str, texts: Iterable[str]) -> frozenset[bytes]:
    """Node addresses or public keys -> node addresses; ConfigError names the bad entry."""
    peers: set[bytes] = set()
    for index, text in enumerate(texts):
        try:
            peers.add(parse_peer_key(text))
        except ValueError as error:
            raise ConfigError(f"{key}[{index}]: {error}") from None
    return frozenset(peers)


def parse_peer(text: str) -> tuple[str, int]:
    """``host:port`` -> (host, port); raises ConfigError naming the bad value."""
    host, separator, port_text = text.rpartition(":")
    if not separator or not host or not port_text.isdigit():
        raise ConfigError(f"peer: {text!r} is not allowed; use host:port, e.g. 127.0.0.1:30303")
    port = int(port_text)
    check_port("peer", port)
    return host, port
