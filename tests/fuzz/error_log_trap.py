"""Catches every ERROR a live node logs while it is fuzzed. The node survives a handler or step
that raises (it logs and carries on, or rebuilds its consensus machine), so a surviving node is
not enough: an error logged for an input means the input reached code that did not expect it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class ErrorLogTrap(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def summary(self) -> list[str]:
        return [f"{record.name}: {record.getMessage()}" + (
            f" ({record.exc_info[1]!r})" if record.exc_info else "") for record in self.records]


@contextmanager
def trapped_errors() -> Iterator[ErrorLogTrap]:
    trap = ErrorLogTrap()
    logger = logging.getLogger("ordo")
    logger.addHandler(trap)
    try:
        yield trap
    finally:
        logger.removeHandler(trap)
