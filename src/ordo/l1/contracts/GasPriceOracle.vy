# pragma version ~=0.4.3
"""
@title GasPriceOracle
@notice Ordo's answer to OP's GasPriceOracle (0x420...0F): what a transaction pays for its bytes
        on L1 (docs/state_transition.md 6.4). It lives at 0x4f52444f0000000000000000000000000000000f
        in a genesis with the L1 data fee, so wallets and dapps estimate the fee the way they do
        on OP chains.

@dev The block rules write, at every block's start and before its transactions, slot 0 with
     the block's L1 prices (l1_base_fee << 128 | l1_blob_base_fee, the header's L1 fee word)
     and slots 1 and 2 with the genesis's scalars; nothing else writes here (no function
     changes state). getL1Fee takes, as OP's does, the transaction without its signature and
     adds 68 non-zero bytes for it, so its answer is an upper estimate of what the engine
     charges on the signed encoding: calldata gas * (16 * base scalar * L1 base fee + blob
     scalar * L1 blob base fee) / 16e6.
"""

l1_prices: public(uint256)
base_fee_scalar: uint256
blob_base_fee_scalar: uint256

DECIMALS: constant(uint256) = 6
MAX_TRANSACTION: constant(uint256) = 131072
SIGNATURE_GAS: constant(uint256) = 68 * 16


@view
@external
def l1BaseFee() -> uint256:
    return self.l1_prices >> 128


@view
@external
def blobBaseFee() -> uint256:
    return self.l1_prices % 2**128


@view
@external
def baseFeeScalar() -> uint32:
    return convert(self.base_fee_scalar, uint32)


@view
@external
def blobBaseFeeScalar() -> uint32:
    return convert(self.blob_base_fee_scalar, uint32)


@pure
@external
def decimals() -> uint256:
    return DECIMALS


@pure
@external
def isEcotone() -> bool:
    return True


@pure
@external
def isFjord() -> bool:
    return False


@view
@external
def gasPrice() -> uint256:
    return block.basefee


@view
@external
def baseFee() -> uint256:
    return block.basefee


@pure
@internal
def _calldata_gas(data: Bytes[MAX_TRANSACTION]) -> uint256:
    total: uint256 = 0
    n: uint256 = len(data)
    for i: uint256 in range(n, bound=MAX_TRANSACTION):
        if convert(slice(data, i, 1), uint256) == 0:
            total += 4
        else:
            total += 16
    return total


@view
@external
def getL1GasUsed(data: Bytes[MAX_TRANSACTION]) -> uint256:
    return self._calldata_gas(data) + SIGNATURE_GAS


@view
@external
def getL1Fee(data: Bytes[MAX_TRANSACTION]) -> uint256:
    scaled: uint256 = 16 * self.base_fee_scalar * (self.l1_prices >> 128) \
        + self.blob_base_fee_scalar * (self.l1_prices % 2**128)
    return (self._calldata_gas(data) + SIGNATURE_GAS) * scaled // 16_000_000
