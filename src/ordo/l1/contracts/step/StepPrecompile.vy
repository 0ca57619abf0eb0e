# pragma version 0.4.3
"""
@title A transaction's precompile run as one step, priced by Prague's formulas
@notice docs/fault_proofs.md 4.2 step 7: a transaction sent straight to a precompile (0x01-0x11)
        opens no frame; its outcome is the precompile's. The price is computed here by the
        formulas of the Prague fork that py-evm (the engine) runs, never taken from L1: ecrecover
        3,000; sha256 60 + 12 a word; ripemd160 600 + 120 a word; identity 15 + 3 a word; modexp
        EIP-2565 (max(200, ceil(max(base, modulus) / 8)^2 * iterations / 3)); bn254 add 150, mul
        6,000, pairing 45,000 + 34,000 a pair; blake2f one a round; KZG point evaluation
        50,000; EIP-2537 G1ADD 375, G1MSM k * 12,000 * discount(k) / 1000, G2ADD 600, G2MSM
        k * 22,500 * discount(k) / 1000, pairing 37,700 + 32,600 a pair, MAP_FP_TO_G1 5,500,
        MAP_FP2_TO_G2 23,800. With less gas than the price the run fails (all gas used, no
        output). Otherwise L1's own precompile at the same address computes the result, called
        once with the price plus a margin for an L1 fork that prices the input higher: four
        times the price and a million gas more, at most MARGIN_CAP (10 M) in all, never less
        than the price. A success is the run's success at Prague's price (the input is valid,
        the gas covers Prague's price; L1's own price only has to fit the margin); a failure is
        the input refused (4.2: what L1 charges beyond the margin is assumed not to happen, as
        a later L1 fork that reprices this much needs a verifier deployed for it). A refused
        input costs the step the call's gas, at most max(price, 10 M): review finding H4, a
        refused 256-pair bn254 pairing (8.75 M) needed 45 M with a second call of four times
        the price, over an L1 transaction's 2^24. Prague's 0x01-0x05 refuse no input, so an L1
        refusal of one of them reverts (a later L1 fork's bound, e.g. EIP-7823 on modexp), and
        a call given less gas than it asks for (EIP-150) reverts before it is taken as a
        refusal.
"""

MAX_DATA: constant(uint256) = 49152
MAX_OUTPUT: constant(uint256) = 1024
OUTPUT_WORDS: constant(uint256) = 32
SATURATED: constant(uint256) = max_value(uint256)
MSM_MULTIPLIER: constant(uint256) = 1000
G1_MSM_DISCOUNTS: constant(Bytes[256]) = x"03e803b50350031d02fc02ee02e202d802cf02c802c102ba02b402af02aa02a502a1029d029902950292028e028b0288028502820280027d027b0278027602730271026f026d026b026902670265026302610260025e025c025b0259025702560254025302510250024f024d024c024a02490248024602450244024302410240023f023e023d023c023a0239023802370236023502340233023202310230022f022e022d022c022b022a02290228022702260225022402230223022202210220021f021e021d021c021c021b021a0219021802180217021602150214021402130212021102100210020f020e020d020d020c020b020a020a0209020802080207"
G2_MSM_DISCOUNTS: constant(Bytes[256]) = x"03e803e8039b037403570340032c031c030e030202f702ed02e402dc02d402cd02c702c002bb02b502b002ab02a702a2029e029a02970293028f028c0289028602830280027d027a0278027502730270026e026c026a0267026502630261025f025e025c025a025802560255025302510250024e024d024b024a0248024702460244024302420240023f023e023d023b023a023902380237023602350233023202310230022f022e022d022c022b022a022902280228022702260225022402230222022102210220021f021e021d021d021c021b021a021902190218021702170216021502140214021302120212021102100210020f020e020e020d020c020c"
G1_MSM_MAX_DISCOUNT: constant(uint256) = 519
G2_MSM_MAX_DISCOUNT: constant(uint256) = 524
MARGIN_GAS: constant(uint256) = 1000000
MARGIN_CAP: constant(uint256) = 10000000
# the call's gas: min(4 * price + MARGIN_GAS, MARGIN_CAP), never below the price
CALL_OVERHEAD: constant(uint256) = 50000
# what the call itself may cost before EIP-150's 63/64 is taken (memory for a 49 KB input)


@internal
@pure
def _words(size: uint256) -> uint256:
    return (size + 31) // 32


@internal
@pure
def _padded_word(data: Bytes[MAX_DATA], at: uint256) -> uint256:
    """@notice The 32 bytes of `data` at `at`, zero past its end (py-evm's pad32r)."""
    if at >= len(data):
        return 0
    if at + 32 <= len(data):
        return convert(extract32(data, at), uint256)
    rest: uint256 = len(data) - at
    value: uint256 = 0
    for k: uint256 in range(32):
        if k == rest:
            break
        value = value * 256 + convert(slice(data, at + k, 1), uint256)
    return value << (8 * (32 - rest))


@internal
@pure
def _highest_bit(number: uint256) -> uint256:
    """@notice py-evm's get_highest_bit_index: floor(log2(number)), 0 for 0."""
    if number == 0:
        return 0
    index: uint256 = 0
    v: uint256 = number >> 1
    for k: uint256 in range(256):
        if v == 0:
            break
        index += 1
        v = v >> 1
    return index


@internal
@pure
def _modexp_price(data: Bytes[MAX_DATA]) -> uint256:
    """@notice EIP-2565 as py-evm's Berlin computation prices it (Prague keeps it)."""
    base_length: uint256 = self._padded_word(data, 0)
    exponent_length: uint256 = self._padded_word(data, 32)
    modulus_length: uint256 = self._padded_word(data, 64)
    longest: uint256 = max(base_length, modulus_length)
    if longest == 0:
        return 200
    if longest >= 2**40 or exponent_length >= 2**64:
        return SATURATED  # more than any transaction's gas (a uint64)
    words: uint256 = (longest + 7) // 8
    complexity: uint256 = words * words
    head: uint256 = 0
    taken: uint256 = min(exponent_length, 32)
    if taken > 0:
        # the exponent's first min(e, 32) bytes, zero-padded on the right, as an integer
        head = self._padded_word(data, 96 + base_length) >> (8 * (32 - taken))
    iterations: uint256 = self._highest_bit(head)
    if exponent_length > 32:
        iterations += 8 * (exponent_length - 32)
    iterations = max(iterations, 1)
    return max(200, complexity * iterations // 3)


@internal
@pure
def _discount(table: Bytes[256], k: uint256, most: uint256) -> uint256:
    if k > 128:
        return most
    return convert(slice(table, 2 * (k - 1), 2), uint256)


@internal
@pure
def _price(precompile: uint256, data: Bytes[MAX_DATA]) -> uint256:
    """@notice Prague's price of running precompile `precompile` on `data`; an input whose
            length the precompile refuses is priced 0 (the run fails whatever the gas)."""
    size: uint256 = len(data)
    if precompile == 1:
        return 3000
    if precompile == 2:
        return 60 + 12 * self._words(size)
    if precompile == 3:
        return 600 + 120 * self._words(size)
    if precompile == 4:
        return 15 + 3 * self._words(size)
    if precompile == 5:
        return self._modexp_price(data)
    if precompile == 6:
        return 150
    if precompile == 7:
        return 6000
    if precompile == 8:
        return 45000 + 34000 * (size // 192)
    if precompile == 9:
        if size != 213:
            return 0
        return convert(slice(data, 0, 4), uint256)
    if precompile == 10:
        return 50000
    if precompile == 11:
        return 375
    if precompile == 12:
        if size == 0 or size % 160 != 0:
            return 0
        return size // 160 * 12000 * self._discount(G1_MSM_DISCOUNTS, size // 160,
                                                    G1_MSM_MAX_DISCOUNT) // MSM_MULTIPLIER
    if precompile == 13:
        return 600
    if precompile == 14:
        if size == 0 or size % 288 != 0:
            return 0
        return size // 288 * 22500 * self._discount(G2_MSM_DISCOUNTS, size // 288,
                                                    G2_MSM_MAX_DISCOUNT) // MSM_MULTIPLIER
    if precompile == 15:
        return 37700 + 32600 * (size // 384)
    if precompile == 16:
        return 5500
    assert precompile == 17, "StepVerifier: not a Prague precompile"
    return 23800


@external
@pure
def price(precompile: uint256, data: Bytes[MAX_DATA]) -> uint256:
    """@notice Prague's price of the run (SATURATED when it exceeds any uint64 gas)."""
    return self._price(precompile, data)


@internal
@pure
def _cell_root(data: Bytes[MAX_OUTPUT]) -> bytes32:
    """@notice The cell root (docs/fault_proofs.md 1.1) of at most 1,024 bytes."""
    level: bytes32[OUTPUT_WORDS] = empty(bytes32[OUTPUT_WORDS])
    padded: Bytes[MAX_OUTPUT + 32] = concat(data, empty(bytes32))
    n: uint256 = self._words(len(data))
    for k: uint256 in range(OUTPUT_WORDS):
        if k == n:
            break
        level[k] = extract32(padded, 32 * k)
    zero: bytes32 = empty(bytes32)
    for height: uint256 in range(32):
        pairs: uint256 = (n + 1) // 2
        for j: uint256 in range(OUTPUT_WORDS // 2):
            if j == pairs:
                break
            right: bytes32 = zero
            if 2 * j + 1 < n:
                right = level[2 * j + 1]
            level[j] = keccak256(concat(level[2 * j], right))
        if n == 0:
            level[0] = keccak256(concat(zero, zero))
        n = pairs
        zero = keccak256(concat(zero, zero))
    return level[0]


@external
@view
def run(precompile: uint256, gas_given: uint256, data: Bytes[MAX_DATA]) -> (
        bool, uint256, bytes32, uint256):
    """
    @notice The outcome of a transaction's run of `precompile` on `data` with `gas_given` (what
            is left after the intrinsic gas): (success, gas_left, cell root of the output, its
            size). A failure uses all the gas and returns nothing.
    """
    ok: bool = False
    gas_left: uint256 = 0
    output: Bytes[MAX_OUTPUT] = b""
    ok, gas_left, output = self._run(precompile, gas_given, data)
    return ok, gas_left, self._cell_root(output), len(output)


@external
@view
def run_output(precompile: uint256, gas_given: uint256, data: Bytes[MAX_DATA]) -> (
        bool, uint256, Bytes[MAX_OUTPUT]):
    """
    @notice run()'s outcome with the output itself: a call step to a precompile (3.8) writes
            it into the caller's memory. (success, gas_left, output); the output is below
            1,024 bytes, empty after a failure.
    """
    return self._run(precompile, gas_given, data)


@internal
@view
def _run(precompile: uint256, gas_given: uint256, data: Bytes[MAX_DATA]) -> (
        bool, uint256, Bytes[MAX_OUTPUT]):
    assert precompile >= 1 and precompile <= 17, "StepVerifier: not a Prague precompile"
    cost: uint256 = self._price(precompile, data)
    if cost > gas_given:
        return False, 0, b""
    target: address = convert(convert(precompile, uint160), address)
    ok: bool = False
    output: Bytes[MAX_OUTPUT] = b""
    allowed: uint256 = max(cost, min(4 * cost + MARGIN_GAS, MARGIN_CAP))
    # EIP-150 forwards at most 63/64 of what is left: a call given less than it asked for
    # could fail for want of gas, which is not the input's refusal (never a decision)
    assert msg.gas >= (allowed + CALL_OVERHEAD) * 64 // 63 + 1, \
        "StepVerifier: too little L1 gas to run the precompile with its margin"
    ok, output = raw_call(target, data, max_outsize=MAX_OUTPUT, gas=allowed,
                          is_static_call=True, revert_on_failure=False)
    if not ok:
        # Prague's ecrecover, hashes, identity and modexp refuse no input (only too little
        # gas, decided above): an L1 refusal is a later L1 fork's rule (EIP-7823's modexp
        # bound, EIP-7883's price), never the input's refusal
        assert precompile > 5, \
            "StepVerifier: L1's precompile refused an input Prague runs: not verifiable"
        return False, 0, b""
    assert len(output) < MAX_OUTPUT, \
        "StepVerifier: a precompile output of 1,024 bytes or more: not verifiable yet"
    return True, gas_given - cost, output
