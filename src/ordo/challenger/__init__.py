"""The challenger/defender: every node (and anyone, standalone) plays the dispute game of
docs/fault_proofs.md section 6 for the honest chain. ``solver`` decides, ``l1_game`` reads and
sends, ``service`` loops, ``commands`` is ``ordo challenger`` and ``ordo dispute``."""
