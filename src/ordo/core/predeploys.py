"""Contracts every Ordo genesis holds at fixed addresses.

``L2ToL1MessagePasser`` records withdrawals (source: ``src/ordo/l1/contracts/
L2ToL1MessagePasser.vy``). Its runtime code ships compiled beside this module so that the core,
which imports no compiler, can build a genesis; a test compiles the source with the pinned Vyper
and fails when the shipped code differs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

MESSAGE_PASSER_ADDRESS = bytes.fromhex("4f52444f00000000000000000000000000000016")
"""'ORDO' then 0x...16: the L2ToL1MessagePasser of every Ordo chain."""
MESSAGE_PASSER_SENT_SLOT = 0
"""Storage slot of its ``sent_messages`` map (the portal's proofs rely on it)."""
CODE_DIR = Path(__file__).resolve().parent / "predeploy_code"
GAS_PRICE_ORACLE_ADDRESS = bytes.fromhex("4f52444f0000000000000000000000000000000f")
"""'ORDO' then 0x...0f: the GasPriceOracle of a chain with the L1 data fee (OP's is 0x420...0F).
Slot 0 holds the block's L1 fee word, slots 1 and 2 the scalars (written at block start)."""


@cache
def gas_price_oracle_code() -> bytes:
    """Runtime code of ``src/ordo/l1/contracts/GasPriceOracle.vy``."""
    return bytes.fromhex((CODE_DIR / "GasPriceOracle.hex").read_text().strip())


@cache
def message_passer_code() -> bytes:
    return bytes.fromhex((CODE_DIR / "L2ToL1MessagePasser.hex").read_text().strip())
