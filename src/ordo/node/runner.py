"""Start and stop one node process: open the disk, start RPC and production, shut down cleanly."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from eth_keys import keys

from ordo.core.genesis import Genesis
from ordo.mempool import ChainRules, Mempool
from ordo.node.chain import Chain
from ordo.node.config import ConfigError, NodeConfig
from ordo.node.node import Node
from ordo.node.producer import BlockProducer
from ordo.rpc.server import start_rpc_server
from ordo.storage.chain_store import ChainStore

log = logging.getLogger(__name__)


def load_signer_address(path: Path | None) -> bytes | None:
    """The sequencer signer's address from a hex key file (mode checks come with encrypted keys)."""
    if path is None:
        return None
    try:
        key = bytes.fromhex(path.read_text().strip().removeprefix("0x"))
        return bytes(keys.PrivateKey(key).public_key.to_canonical_address())
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"signer_key: {path} is not a readable hex secp256k1 key: {error}"
        ) from error


async def run_node(config: NodeConfig) -> None:
    """Run until cancelled. Every resource opened here is closed on the way out."""
    try:
        genesis = Genesis.load(config.genesis_path)
    except OSError as error:
        raise ConfigError(f"genesis: cannot read {config.genesis_path}: {error}") from error
    except ValueError as error:
        raise ConfigError(f"genesis: {config.genesis_path}: {error}") from error
    signer_address = load_signer_address(config.signer_key_path)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = ChainStore(config.data_dir / "chain")
    try:
        chain = Chain(store, genesis)
        node = Node(chain, Mempool(ChainRules.from_genesis(genesis)), signer_address)
        node.start()
        producer = BlockProducer(node, config.block_time, config.heartbeat_interval,
                                 config.fee_recipient)
        server = await start_rpc_server(node, config.rpc_host, config.rpc_port)
        log.info("node ready: chain %d at block %d, JSON-RPC on http://%s:%d",
                 genesis.chain_id, chain.head_number(), config.rpc_host, config.rpc_port)
        try:
            await producer.run()
        finally:
            await server.stop()
            await node.stop()
    finally:
        store.close()
        log.info("node stopped")


def run_node_blocking(config: NodeConfig) -> None:
    asyncio.run(run_node(config))
