"""A censoring sequencer for tests, injected from outside the node.

The real node runs unchanged; only the pool it admits into is this subclass, handed to
``run_node`` through its ``make_mempool`` seam by the cluster harness. Production code has no
notion of censorship at all (no flag, no branch, no environment variable), so no operator can
switch it on by accident and no test depends on a switch shipped to users.
"""

from __future__ import annotations

from collections.abc import Iterable

from ordo.core.transaction import DecodedTransaction
from ordo.mempool import AccountReader, AdmissionRejected, Admitted, ChainRules, Mempool
from ordo.node.runner import MempoolFactory

CENSORED_MESSAGE = "transaction refused: this node censors its sender (test harness)"


class CensoringMempool(Mempool):
    """Refuses every transaction from the chosen senders, however it arrives: by RPC, by gossip
    or from the node's journal on restart (all of them go through ``add``)."""

    def __init__(self, rules: ChainRules, censored: frozenset[bytes]) -> None:
        super().__init__(rules)
        self.censored = censored

    def add(self, decoded: DecodedTransaction, accounts: AccountReader) -> Admitted:
        if decoded.sender in self.censored:
            raise AdmissionRejected("censored", CENSORED_MESSAGE)
        return super().add(decoded, accounts)


def censoring(senders: Iterable[str | bytes]) -> MempoolFactory:
    """A ``make_mempool`` for ``run_node`` whose pool refuses ``senders`` (0x-hex or bytes)."""
    censored = frozenset(sender if isinstance(sender, bytes)
                         else bytes.fromhex(sender.removeprefix("0x")) for sender in senders)
    assert all(len(sender) == 20 for sender in censored), "senders are 20-byte addresses"

    def make(rules: ChainRules) -> Mempool:
        return CensoringMempool(rules, censored)
    return make
