"""Chaos testing of a live multi-node network: seeded faults under load, invariants at the end."""
