"""Which L1, which L2 node and which contracts ``ordo bridge`` talks to.

``--devnet DIR`` reads the running devnet's ``devnet.json`` (its first node's RPC, the L1 and
the rollup contracts), or a stopped one's genesis and ``l1.json``; otherwise ``--l1-rpc`` and
``--l2-rpc`` name the endpoints and a node's ``--config FILE`` (``ordo init``) names the L1
through its genesis. The portal is not in any
file: the queue names it (``ForcedInclusionQueue.portal``), so there is nothing to keep in step.
Each miss says where it looked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ordo.config.config_file import read_config_file
from ordo.config.node_config import ConfigError
from ordo.operator.network_init import parse_hex_address

DEVNET_MANIFEST = "devnet.json"
DEVNET_GENESIS = "genesis.json"
DEVNET_L1_RECORD = "l1.json"


@dataclass(frozen=True)
class BridgeTarget:
    l1_rpc: str
    l2_rpc: str | None
    """None when no file or option names one (then only --l2-data reads L2)."""
    inbox: bytes
    forced_queue: bytes
    inbox_deploy_block: int
    """Where BatchAccepted events start (0 when no file says)."""
    genesis_path: Path | None = None
    """The L2 genesis, for deriving L2 from L1 alone (``--l2-data``)."""


def resolve_bridge_target(devnet: Path | None, l1_rpc: str | None, l2_rpc: str | None,
                          config_path: Path | None, genesis: Path | None = None) -> BridgeTarget:
    """ConfigError naming the option to add when an endpoint or contract is not found."""
    l1_section: dict[str, Any] = {}
    looked: list[str] = ["the options"]
    if genesis is not None:
        l1_section = _section(_read_json(genesis, "genesis"), "l1")
    if devnet is not None and devnet.is_dir() and not (devnet / DEVNET_MANIFEST).exists() \
            and (devnet / DEVNET_GENESIS).exists():
        # A stopped devnet: its contracts are in the genesis and l1.json (the L1 endpoint, if
        # it still runs, comes from --l1-rpc).
        looked.append(str(devnet))
        genesis = genesis or devnet / DEVNET_GENESIS
        l1_section = _section(_read_json(genesis, "genesis"), "l1")
        if (devnet / DEVNET_L1_RECORD).exists():
            record = _read_json(devnet / DEVNET_L1_RECORD, "l1 record")
            l1_section["inboxDeployBlock"] = record.get("inboxDeployBlock", 0)
    elif devnet is not None:
        manifest = _read_json(devnet / DEVNET_MANIFEST if devnet.is_dir() else devnet, "devnet")
        looked.append(str(devnet))
        l1_section = _section(manifest, "l1")
        if genesis is None and isinstance(manifest.get("genesis"), str):
            genesis = Path(manifest["genesis"])
        nodes = manifest.get("nodes")
        if l2_rpc is None and isinstance(nodes, list) and nodes and isinstance(nodes[0], dict):
            l2_rpc = nodes[0].get("rpc")
    elif config_path is not None:
        settings = read_config_file(config_path)
        looked.append(str(config_path))
        l1_rpc = l1_rpc or settings.get("l1_rpc")
        if l2_rpc is None and settings.get("rpc_port"):
            l2_rpc = f"http://127.0.0.1:{settings['rpc_port']}"
        genesis_path = settings.get("genesis_path")
        if genesis is None and isinstance(genesis_path, Path) and genesis_path.exists():
            genesis = genesis_path
            l1_section = _section(_read_json(genesis_path, "genesis"), "l1")
    where = ", ".join(looked)
    l1_rpc = l1_rpc or l1_section.get("rpc")
    if not l1_rpc:
        raise ConfigError(f"l1-rpc: not given (looked in {where}); pass --l1-rpc URL or "
                          "--devnet DIR")
    for name, url in (("l1-rpc", l1_rpc), ("l2-rpc", l2_rpc)):
        if url is not None and (not isinstance(url, str) or
                                not url.startswith(("http://", "https://"))):
            raise ConfigError(f"{name}: {url!r} is not allowed; use an http:// or https:// URL")
    assert isinstance(l1_rpc, str) and (l2_rpc is None or isinstance(l2_rpc, str))
    contracts = []
    for key in ("inbox", "forcedQueue"):
        value = l1_section.get(key)
        if not value:
            raise ConfigError(f"{key}: this network names no {key} (looked in {where}); the "
                              "bridge needs a network on an L1 with the rollup contracts")
        contracts.append(parse_hex_address(key, str(value)))
    deploy_block = l1_section.get("inboxDeployBlock", 0)
    return BridgeTarget(l1_rpc, l2_rpc, contracts[0], contracts[1],
                        deploy_block if isinstance(deploy_block, int) else 0, genesis)


def _read_json(path: Path, key: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{key}: {path} does not exist (is the devnet started?)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{key}: cannot read {path} as JSON ({error})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{key}: {path} is not a JSON object")
    return document


def _section(document: dict[str, Any], name: str) -> dict[str, Any]:
    section = document.get(name)
    return section if isinstance(section, dict) else {}
