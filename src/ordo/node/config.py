"""Configuration of one node process.

Every field is validated on load with an error that names the key, the bad value and what is
allowed, because an operator's typo must never surface as a stack trace minutes later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A configuration value is missing or not allowed; the message says which and why."""


@dataclass(frozen=True)
class NodeConfig:
    data_dir: Path
    genesis_path: Path
    rpc_host: str = "127.0.0.1"
    rpc_port: int = 8545
    block_time: float = 0.25
    """Minimum seconds between blocks while transactions are pending."""
    heartbeat_interval: float = 2.0
    """Seconds after which an empty block is produced when nothing is pending."""
    fee_recipient: bytes = field(default=b"\x00" * 20)
    """Address credited with priority fees of blocks this node produces."""
    signer_key_path: Path | None = None
    """Raw hex secp256k1 key file of this node's sequencer signer (created by the devnet)."""

    def __post_init__(self) -> None:
        check_port("rpc_port", self.rpc_port)
        if not 0.01 <= self.block_time <= 60:
            raise ConfigError(f"block_time: {self.block_time!r} is not allowed; "
                              "use seconds between 0.01 and 60")
        if not self.block_time <= self.heartbeat_interval <= 3600:
            raise ConfigError(f"heartbeat_interval: {self.heartbeat_interval!r} is not allowed; "
                              "use seconds between block_time and 3600")
        if len(self.fee_recipient) != 20:
            raise ConfigError(f"fee_recipient: 0x{self.fee_recipient.hex()} is not a 20-byte "
                              "address")


def check_port(key: str, port: int) -> None:
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigError(f"{key}: {port!r} is not allowed; use a TCP port from 1 to 65535")
