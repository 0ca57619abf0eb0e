"""Operator key files: encrypted Ethereum keystores (v3) and the permission rules for any key."""
