"""``python -m ordo`` is the ``ordo`` command (what the devnet uses to start its nodes)."""

from ordo.cli import main

if __name__ == "__main__":
    main(prog_name="ordo")
