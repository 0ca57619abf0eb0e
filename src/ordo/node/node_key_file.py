"""The p2p identity key file: read it, or create it (owner-only) on a node's first start."""

from __future__ import annotations

import os
from pathlib import Path

from coincurve import PrivateKey

from ordo.config.node_config import ConfigError
from ordo.network import NodeKey


def load_or_create_node_key(path: Path) -> NodeKey:
    if not path.exists():
        secret_bytes = PrivateKey().secret
        key = NodeKey(secret_bytes)
        secret = secret_bytes.hex()
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secret + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:
            raise ConfigError(f"node_key: cannot create {path}: {error.strerror}") from error
        return key
    try:
        text = path.read_text().strip()
        return NodeKey(bytes.fromhex(text.removeprefix("0x")))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ConfigError(f"node_key: {path} is not a readable hex secp256k1 key: {error}") \
            from error
