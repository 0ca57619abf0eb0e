"""The node's own chain as the challenger's output source: the output root of any block it
holds, computed where the batcher and ``ordo_outputAtBlock`` compute it
(``ordo.execution.output_roots``), so a node disputes exactly what it would not have signed."""

from __future__ import annotations

from typing import Protocol

from eth.abc import BlockHeaderAPI

from ordo.core.output_root import OutputRoot
from ordo.execution.output_roots import ProofSource, output_root_at
from ordo.settlement.l2_readers import L2Unavailable


class ChainView(Protocol):
    """What of ``ordo.chain.chain.Chain`` the challenger reads."""

    @property
    def engine(self) -> ProofSource: ...

    def head_number(self) -> int: ...

    def header_at(self, number: int) -> BlockHeaderAPI: ...


class ChainOutputs:
    def __init__(self, chain: ChainView) -> None:
        self.chain = chain
        self.where = "this node's chain"

    async def output_at(self, number: int) -> OutputRoot:
        # On the event loop, like the node's other reads of its chain: one account proof.
        head = self.chain.head_number()
        if number > head:
            raise L2Unavailable(f"{self.where} ends at block {head}, not {number}")
        return output_root_at(self.chain.engine, self.chain.header_at(number))
