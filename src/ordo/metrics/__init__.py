"""Prometheus metrics of one node, on a registry of its own (several nodes share a test process)."""
