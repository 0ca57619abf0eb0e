"""Ordo: a decentralized sequencer network for an EVM-compatible Ethereum Layer 2."""

__version__ = "0.1.0"
