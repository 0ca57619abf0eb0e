"""What ordo_status, /metrics and ``ordo status`` make of a challenger's status: the same
readers the node uses (l1_status_summary, L1StatusCollector, status_rows)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry

from ordo.challenger.service import ChallengerService
from ordo.metrics.l1_collector import L1StatusCollector
from ordo.operator.l1_status_summary import read_l1_summary
from ordo.operator.status_rows import l1_rows
from tests.metrics.test_metrics_parts import samples_of


def l1_status_of(service: ChallengerService | None, reason: str | None = None) -> dict[str, Any]:
    disputes = {"enabled": False, "reason": reason} if service is None else \
        {"enabled": True, **service.state.to_json()}
    return {"rpc": "http://l1", "chainId": 31337, "lockingPool": "0x" + "11" * 20, "head": 9,
            "confirmedOrigin": 7, "error": None, "disputes": disputes}


def dispute_samples(l1: dict[str, Any]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(L1StatusCollector(lambda: l1))
    return {key: value for key, value in samples_of(registry).items()
            if key[0].startswith("ordo_disputes")}


def dispute_row(l1: dict[str, Any]) -> str:
    read_l1_summary(l1)  # checks every field
    return dict(l1_rows(l1, 0.0))["disputes"]
