"""Start and stop one node process: open the disk, join the network, run consensus and RPC, and
shut everything down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from ordo.batcher.blob_packing import kzg_settings
from ordo.chain.chain import Chain
from ordo.challenger.node_outputs import ChainOutputs
from ordo.challenger.node_steps import chain_steps, queue_through_head
from ordo.config.node_config import ConfigError, NodeConfig
from ordo.core.genesis import Genesis
from ordo.dashboard import add_dashboard_routes
from ordo.execution.output_roots import output_root_at
from ordo.keys.keystore import KeystoreError, is_keystore_file
from ordo.keys.password_source import PasswordSource
from ordo.keys.signer_key_file import open_keystore_key
from ordo.l1.forced_queue_reader import ForcedQueueReader
from ordo.mempool import ChainRules, Mempool
from ordo.metrics.event_metrics import PeerMessageHandler
from ordo.metrics.exposition import MetricsServer, start_metrics_server
from ordo.metrics.node_metrics import NodeMetrics
from ordo.network import MessageKind, NetworkConfig, NodeKey, PeerNetwork
from ordo.node.consensus_driver import ConsensusDriver, Pacing
from ordo.node.consensus_setup import (
    consensus_params_from_genesis,
    load_signer_key,
    signer_address_of,
    validator_set_from_genesis,
)
from ordo.node.epoch_sets import EpochSetSource, StaticEpochSets
from ordo.node.l1_chain_adoption import ChainReplacedOnL1, adopt_l1_chain
from ordo.node.l1_services import L1Services
from ordo.node.node import Node
from ordo.node.node_key_file import load_or_create_node_key
from ordo.rpc.server import start_rpc_server
from ordo.storage.chain_store import ChainStore

log = logging.getLogger(__name__)


def load_genesis(config: NodeConfig) -> Genesis:
    try:
        return Genesis.load(config.genesis_path)
    except OSError as error:
        raise ConfigError(f"genesis: cannot read {config.genesis_path}: {error}") from error
    except ValueError as error:
        raise ConfigError(f"genesis: {config.genesis_path}: {error}") from error


def load_configured_signer_key(config: NodeConfig) -> bytes | None:
    """A keystore file is decrypted with the configured password source; raw hex as before."""
    path = config.signer_key_path
    if path is None or not is_keystore_file(path):
        return load_signer_key(path)
    try:
        return open_keystore_key(path, "signer key",
                             PasswordSource(config.password_file, config.password_env))
    except (KeystoreError, ValueError) as error:
        raise ConfigError(f"signer_key: {error}") from error


def load_configured_node_key(config: NodeConfig) -> NodeKey:
    """A keystore node key opens with the signer's password source; raw hex (or none yet) as
    before."""
    path = config.node_key_path or config.data_dir / "node.key"
    if not path.exists() or not is_keystore_file(path):
        return load_or_create_node_key(path)
    try:
        return NodeKey(open_keystore_key(path, "node key",
                                     PasswordSource(config.password_file, config.password_env)))
    except (KeystoreError, ValueError) as error:
        raise ConfigError(f"node_key: {error}") from error


MempoolFactory = Callable[[ChainRules], Mempool]
"""Builds the pool a node admits transactions into, from the genesis' chain rules."""


async def run_node(config: NodeConfig, *, make_mempool: MempoolFactory = Mempool) -> None:
    """Run until cancelled. Every resource opened here is closed on the way out.

    ``make_mempool`` is the one seam for a different admission policy: a test harness passes a
    pool that misbehaves (one that censors, say) to the real node, so that no switch for such
    behaviour exists in the node itself; ``ordo node`` always runs the plain pool."""
    genesis = load_genesis(config)
    signer_key = load_configured_signer_key(config)
    signer_address = signer_address_of(signer_key)
    if genesis.l1 is not None and config.l1_rpc is None:
        raise ConfigError(f"l1_rpc: not given, but the genesis anchors this network to L1 chain "
                          f"{genesis.l1.chain_id} (locking pool 0x{genesis.l1.locking_pool.hex()});"
                          " pass --l1-rpc URL of an endpoint of that chain")
    params = consensus_params_from_genesis(genesis)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    node_key = load_configured_node_key(config)
    store = ChainStore(config.data_dir / "chain")
    try:
        chain = Chain(store, genesis, config.engine, config.shadow_check)
        if config.l1_rpc is not None:
            # Before the journal is replayed: blocks L1 replaced return their transactions to it.
            await adopt_l1_chain(store, genesis, config.l1_rpc, params.epoch_length)
        node = Node(chain, make_mempool(ChainRules.from_genesis(genesis)), signer_address)
        node.start()
        l1: L1Services | None = None
        replaced = _Replacement()
        epoch_sets: EpochSetSource
        if genesis.l1 is not None and config.l1_rpc is not None:
            l1 = L1Services(genesis.l1, config.l1_rpc, chain.header_at, params.epoch_length,
                            store.get_meta, store.put_meta, signer_key)
            await l1.check_chain()
            epoch_sets = l1.epoch_sets
        else:
            epoch_sets = StaticEpochSets(validator_set_from_genesis(genesis, signer_address))
        driver = ConsensusDriver(
            node, params, epoch_sets, signer_key,
            Pacing(config.block_time, config.heartbeat_interval, config.fee_recipient,
                   genesis.consensus.max_clock_drift_s, config.quiet_pending),
            l1_watch=None if l1 is None else l1.watch,
            l1_confirmations=0 if genesis.l1 is None else genesis.l1.confirmations,
        )
        node.consensus = driver
        if l1 is not None:
            if l1.anchor.forced_queue is not None:
                driver.forced_queue = ForcedQueueReader(l1.client, l1.anchor.forced_queue)
            driver.evidence_listeners.append(l1.on_evidence)
            driver.l1_status = l1.status
            node.add_new_block_listener(l1.epoch_sets.on_block_final)
            driver.inputs.ready_origin = l1.epoch_sets.ready_origin
            batcher = None if signer_key is None else l1.attach_batcher(
                store, genesis.chain_id, params.epoch_length, signer_key,
                driver.current_producer,
                lambda payload: driver.broadcast(MessageKind.BATCH_ATTESTATION, payload),
                lambda header: output_root_at(chain.engine, header).root,
                config.batch_takeover)
            if batcher is not None:
                # ckzg holds the GIL while it loads the trusted setup (one to five seconds on a
                # busy machine): done now, before consensus and RPC run, not at the first batch,
                # where it froze the whole node past its peers' and clients' timeouts.
                await asyncio.to_thread(kzg_settings)
                driver.extra_handlers[MessageKind.BATCH_ATTESTATION] = batcher.on_attestation
                node.add_new_block_listener(batcher.on_block_final)
                batcher.on_chain_replaced = replaced.replace
            queue_items = None if driver.forced_queue is None else \
                queue_through_head(driver.forced_queue, l1.client)
            l1.attach_challenger(ChainOutputs(chain), config.challenger,
                                 chain_steps(store, genesis, queue_items))
            l1.start(driver.evidence.items())
        metrics = None
        on_message: PeerMessageHandler = driver.on_peer_message
        if config.metrics_port is not None:
            metrics = NodeMetrics(node, driver, signer_address)
            node.add_new_block_listener(metrics.events.on_block)
            on_message = metrics.events.counting(driver.on_peer_message)
        network = PeerNetwork(
            node_key, NetworkConfig(chain_id=genesis.chain_id, static_peers=config.peers,
                                    allowlist=config.allowed_peers),
            on_message=on_message, on_peer_connected=driver.on_peer_connected,
            on_peer_disconnected=driver.on_peer_disconnected,
        )
        try:
            await network.start(config.p2p_host, config.p2p_port)
        except OSError as error:
            raise ConfigError(f"p2p: cannot listen on {config.p2p_host}:{config.p2p_port}: "
                              f"{error.strerror or error}") from error
        driver.transport = network
        try:
            server = await start_rpc_server(
                node, config.rpc_host, config.rpc_port,
                observer=None if metrics is None else metrics.events.observe_rpc,
                cors=config.rpc_cors_policy(), pages=(add_dashboard_routes,))
            metrics_server: MetricsServer | None = None
            log.info("node ready: chain %d at block %d, JSON-RPC on http://%s:%d, p2p on %s:%d "
                     "as 0x%s (%s)", genesis.chain_id, chain.head_number(), config.rpc_host,
                     config.rpc_port, config.p2p_host, config.p2p_port, node_key.address.hex(),
                     "validator" if driver.is_validator else "follower")
            try:
                if metrics is not None:
                    metrics_server = await _start_metrics(config, metrics)
                await _run_until_replaced(driver, replaced)
            finally:
                if metrics_server is not None:
                    await metrics_server.stop()
                await server.stop()
        finally:
            await network.stop()
            if l1 is not None:
                await l1.stop()
            await node.stop()
    finally:
        store.close()
        log.info("node stopped")


class _Replacement:
    """Set when the batcher finds that L1 holds another chain than this node's."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.reason = ""

    def replace(self, reason: str) -> None:
        self.reason = reason
        self.event.set()


async def _run_until_replaced(driver: ConsensusDriver, replaced: _Replacement) -> None:
    """Consensus until cancelled, or until L1 is found to hold another chain: the node then
    stops (ChainReplacedOnL1) and adopts L1's chain when it starts again. Adopting it live
    would mean stopping consensus, the batcher and the RPC's view of the head in the middle of
    their work; a restart does the same from a state known to be consistent."""
    running = asyncio.create_task(driver.run(), name="consensus")
    waiting = asyncio.create_task(replaced.event.wait(), name="chain-replaced")
    try:
        await asyncio.wait((running, waiting), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (running, waiting):
            task.cancel()
        for task in (running, waiting):
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if replaced.event.is_set():
        raise ChainReplacedOnL1(f"{replaced.reason}; stopping so that the next start adopts "
                                "L1's chain")


async def _start_metrics(config: NodeConfig, metrics: NodeMetrics) -> MetricsServer:
    assert config.metrics_port is not None
    try:
        server = await start_metrics_server(metrics.registry, config.rpc_host,
                                            config.metrics_port)
    except OSError as error:
        raise ConfigError(f"metrics_port: cannot listen on {config.rpc_host}:"
                          f"{config.metrics_port}: {error.strerror or error}") from error
    log.info("metrics on %s", server.url)
    return server


def run_node_blocking(config: NodeConfig) -> None:
    asyncio.run(run_node(config))
