"""Why a block proposed by another node is refused by re-execution."""

from __future__ import annotations


class InvalidBlock(Exception):
    """The block breaks a rule or its header does not match what executing it gives.

    ``reason`` names the first mismatch (field, expected, got) so a validator can log and
    report it; consensus prevotes nil on such a proposal.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
