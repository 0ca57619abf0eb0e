"""What the RPC-facing Node asks of the consensus driver, without importing it (no cycle)."""

from __future__ import annotations

from typing import Any, Protocol


class ConsensusView(Protocol):
    disk_full_waits: int
    """Consensus steps the disk refused (full or short), each followed by a rest."""
    commit_failures: int
    """Decided blocks that could not be stored, each followed by a rest."""

    def status_fields(self) -> dict[str, Any]: ...

    def peer_count(self) -> int: ...

    def syncing(self) -> dict[str, int] | None: ...

    def get_commit(self, number: int) -> dict[str, Any] | None: ...

    def evidence_list(self) -> list[dict[str, Any]]: ...
