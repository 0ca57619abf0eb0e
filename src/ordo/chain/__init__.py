"""The chain: committed blocks in the store (``storage/``) joined with the engine that executes
them (``execution/``). Its own package below ``node/`` because the node, the dev L1, the
derivation verifier and the bridge's readers all open a chain, and none of them may import the
node to do it (docs/design.md §2, the layers)."""
