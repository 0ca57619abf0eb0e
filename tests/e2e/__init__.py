"""End-to-end tests: web3.py against a running Ordo devnet (or anvil as a reference)."""
