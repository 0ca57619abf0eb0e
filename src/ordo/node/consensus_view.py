"""What the RPC-facing Node asks of the consensus driver, without importing it (no cycle)."""

from __future__ import annotations

from typing import Any, Protocol


class ConsensusView(Protocol):
    def status_fields(self) -> dict[str, Any]: ...

    def peer_count(self) -> int: ...

    def syncing(self) -> dict[str, int] | None: ...

    def get_commit(self, number: int) -> dict[str, Any] | None: ...

    def evidence_list(self) -> list[dict[str, Any]]: ...
