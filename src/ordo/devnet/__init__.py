"""The one-command local network: files on disk, child node processes, and their supervision."""
