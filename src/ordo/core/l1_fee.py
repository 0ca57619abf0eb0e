"""The L1 data fee of an L2 transaction and where fees go (docs/state_transition.md 6.4).

Every L2 transaction ends up as bytes in a batch that some sequencer pays L1 gas to post. The
L1 data fee charges the sender for that, priced from the block's L1 origin (its base fee and
blob base fee, both carried in the block's header so every engine and derivation see the same
numbers) and two scalars fixed in the genesis. The formula is OP Ecotone's: the transaction's
calldata gas (4 per zero byte, 16 per non-zero byte of its signed encoding) stands for what it
adds to a compressed batch, a count every engine, the step machine and an L1 contract compute
from the raw bytes alone, without running a compressor (OP Fjord's FastLZ estimate is closer to
the real compressed size but would put a compressor into every engine and the L1 verifier)::

    l1_gas_used = 4 * zero_bytes(raw_tx) + 16 * nonzero_bytes(raw_tx)
    l1_fee = l1_gas_used * (16 * base_fee_scalar * l1_base_fee
                            + blob_base_fee_scalar * l1_blob_base_fee) // 16_000_000

The header's ``parent_beacon_block_root`` (always zero on an L2 without a beacon chain) carries
the two L1 prices as one word, ``l1_base_fee (16 bytes) || l1_blob_base_fee (16 bytes)``, big
endian; it stays zero on a chain without the L1 fee. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth._utils.calculations import fake_exponential
from eth.abc import BlockHeaderAPI
from eth.vm.forks.cancun.constants import MIN_BLOB_BASE_FEE
from eth.vm.forks.prague.constants import BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE

FEE_VAULT_ADDRESS = bytes.fromhex("4f52444f00000000000000000000000000000019")
"""'ORDO' then 0x...19: the default fee vault, an account without code that only the block
rules move value out of (OP's BaseFeeVault / L1FeeVault sit at 0x42...19 and 0x42...1a)."""
SCALAR_DENOMINATOR = 1_000_000
"""Scalars are millionths: ``base_fee_scalar = 1_000_000`` charges the whole calldata gas."""
UINT128_CEILING = 2**128
UINT32_CEILING = 2**32


class L1FeeError(ValueError):
    """A fee word or fee rules that cannot be: a price over 128 bits, a scalar over 32 bits."""


@dataclass(frozen=True)
class L1FeeRules:
    """The genesis's L1-fee parameters (``l1Fee`` in genesis.json; absent: no L1 fee, the base
    fee burned as on Ethereum).

    The defaults come from ``bench/l1_fee.py`` (bench/results/l1_fee-2026-12-07.json with OP's
    scalars, l1_fee-2026-12-08.json with these): OP
    Mainnet's Ecotone scalars (1,368 and 810,949) cover 0.2% of what Ordo pays to post a
    transaction, because the RollupInbox's quorum check costs about 374,000 L1 gas per batch
    where OP's batcher pays 21,000, and a 200-transaction batch fills 15% of its blob. An
    ERC-20 transfer has about 2,450 calldata gas; a blob batch of the bench's mix costs about
    1,870 L1 gas and 655 blob gas per transaction, so ``base_fee_scalar = 800,000`` (0.8 of the
    calldata gas at the L1 base fee) and ``blob_base_fee_scalar = 4,500,000`` cover blob posting
    of such batches at any L1 price; calldata posting (about 4,150 L1 gas per transaction) is
    not covered by them. A network that posts fuller batches should lower both.
    """

    base_fee_scalar: int = 800_000
    blob_base_fee_scalar: int = 4_500_000
    vault: bytes = FEE_VAULT_ADDRESS

    def __post_init__(self) -> None:
        for name in ("base_fee_scalar", "blob_base_fee_scalar"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or \
                    not 0 <= value < UINT32_CEILING:
                raise L1FeeError(f"genesis: l1Fee.{name} {value!r} is not in 0..2^32-1")
        if not isinstance(self.vault, bytes) or len(self.vault) != 20:
            raise L1FeeError("genesis: l1Fee.vault is not a 20-byte address")

    def to_json(self) -> dict[str, Any]:
        return {"baseFeeScalar": self.base_fee_scalar,
                "blobBaseFeeScalar": self.blob_base_fee_scalar,
                "vault": "0x" + self.vault.hex()}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> L1FeeRules:
        if not isinstance(document, dict):
            raise L1FeeError(f"genesis: l1Fee must be an object, got {document!r:.80}")
        unknown = set(document) - {"baseFeeScalar", "blobBaseFeeScalar", "vault"}
        if unknown:
            raise L1FeeError(f"genesis: l1Fee has unknown keys {sorted(unknown)}")
        # The scalars go to __post_init__ as JSON gave them: it refuses a non-integer (true,
        # 1.5, "7") instead of int() quietly turning it into a number.
        vault_text = document.get("vault", "0x" + FEE_VAULT_ADDRESS.hex())
        if not isinstance(vault_text, str):
            raise L1FeeError(f"genesis: l1Fee.vault {vault_text!r:.80} is not a hex string")
        try:
            vault = bytes.fromhex(vault_text.removeprefix("0x").removeprefix("0X"))
        except ValueError:
            raise L1FeeError(f"genesis: l1Fee.vault {vault_text!r:.80} is not hex") from None
        return cls(base_fee_scalar=document.get("baseFeeScalar", cls.base_fee_scalar),
                   blob_base_fee_scalar=document.get("blobBaseFeeScalar",
                                                     cls.blob_base_fee_scalar),
                   vault=vault)


@dataclass(frozen=True)
class L1Prices:
    """The L1 origin's base fee and blob base fee, as one block uses them."""

    base_fee: int
    blob_base_fee: int

    def __post_init__(self) -> None:
        for name in ("base_fee", "blob_base_fee"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or \
                    not 0 <= value < UINT128_CEILING:
                raise L1FeeError(f"L1 {name.replace('_', ' ')} {value!r} is not in 0..2^128-1")

    def word(self) -> bytes:
        """The 32 bytes the header's ``parent_beacon_block_root`` carries."""
        return self.base_fee.to_bytes(16, "big") + self.blob_base_fee.to_bytes(16, "big")

    @classmethod
    def of_word(cls, word: bytes) -> L1Prices:
        if len(word) != 32:
            raise L1FeeError(f"L1 fee word is {len(word)} bytes, not 32")
        return cls(int.from_bytes(word[:16], "big"), int.from_bytes(word[16:], "big"))


NO_PRICES = L1Prices(0, 0)


def header_l1_prices(header: BlockHeaderAPI) -> L1Prices:
    """The L1 prices a header carries in its ``parent_beacon_block_root``; a header without
    the field (none Ordo builds) carries none."""
    word = header.parent_beacon_block_root
    return NO_PRICES if word is None else L1Prices.of_word(bytes(word))

def blob_base_fee_of_excess(excess_blob_gas: int) -> int:
    """EIP-4844's blob base fee at ``excess_blob_gas`` under Prague's update fraction (py-evm's
    constants): the one formula for L1 origins here and L2 headers (``execution.base_fee``)."""
    return fake_exponential(MIN_BLOB_BASE_FEE, excess_blob_gas,
                            BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE)


def l1_prices_of_block(base_fee_per_gas: int | None, excess_blob_gas: int | None) -> L1Prices:
    """The L1 prices an L1 block sets for the L2 blocks naming it as their origin: its base
    fee (0 before London) and its blob base fee under Prague's update fraction (the minimum,
    1 wei, before Cancun)."""
    return L1Prices(base_fee_per_gas or 0, blob_base_fee_of_excess(excess_blob_gas or 0))


def l1_gas_used(raw_tx: bytes) -> int:
    """Calldata gas of the signed encoding: 4 per zero byte, 16 per other byte."""
    zeros = raw_tx.count(0)
    return 4 * zeros + 16 * (len(raw_tx) - zeros)


def l1_fee(raw_tx: bytes, prices: L1Prices, rules: L1FeeRules) -> int:
    """The L1 data fee in wei of the transaction whose signed encoding is ``raw_tx``."""
    scaled = (16 * rules.base_fee_scalar * prices.base_fee
              + rules.blob_base_fee_scalar * prices.blob_base_fee)
    return l1_gas_used(raw_tx) * scaled // (16 * SCALAR_DENOMINATOR)


@dataclass(frozen=True)
class L1Charging:
    """What one block's engine needs to charge the L1 fee and fill the vault."""

    rules: L1FeeRules
    prices: L1Prices

    def fee(self, raw_tx: bytes) -> int:
        return l1_fee(raw_tx, self.prices, self.rules)

    def oracle_slots(self) -> tuple[tuple[int, int], ...]:
        """The GasPriceOracle's slots block start writes: the L1 fee word, the two scalars."""
        return ((0, int.from_bytes(self.prices.word(), "big")),
                (1, self.rules.base_fee_scalar), (2, self.rules.blob_base_fee_scalar))
