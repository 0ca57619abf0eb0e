"""A node's configuration: ``NodeConfig`` with its checks and the TOML file ``ordo init`` writes.

Below ``node/`` because the operator's commands (``ordo init``, ``ordo stake``, ``ordo bridge``,
``ordo challenge``) and the keystore unlocking read the same file and raise the same
``ConfigError`` without importing the node (docs/design.md §2, the layers)."""
