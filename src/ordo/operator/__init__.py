"""Operator tools: ``ordo init`` (a new network's files) and ``ordo stake`` (the L1 lock)."""
