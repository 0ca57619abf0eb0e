"""Deploy the on-chain one-step verifier: its services (StepMpt, StepIndexTrie, StepTxEndState),
the eight parts, and the StepRouter.

The router is what the DisputeGame calls (``IStepVerifier.step``); it sends each opcode to the
part that checks it (docs/fault_proofs.md 3.7). The parts are near the 24,576-byte code limit, so
each costs about 5.4 M gas to deploy: one per transaction, each well under the 30 M block gas of
anvil and the dev L1. They are sent one after another, each once the previous one landed: the
dev L1 drops a pending transaction that did not fit the block it was tried in (as a node's
mempool drops what a block skipped), so several sent at once (6.75 M gas limit each) lose some.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.faultproof.block_parts import ChainRules
from ordo.l1.client import L1Client
from ordo.l1.compiler import compile_contract
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.deploy import RECEIPT_TIMEOUT
from ordo.l1.local_account import LocalAccount

MPT_SERVICE = "step/StepMpt"
"""Mpt.vy in a contract of its own, which the storage and account parts call."""
INDEX_TRIE_SERVICE = "step/StepIndexTrie"
"""Insertions into the block's receipts and transactions tries (transaction end)."""
TX_END_STATE = "step/StepTxEndState"
"""The transaction end's transaction, gas and state (StepTxEnd calls it; it takes StepMpt and
the chain's l1Fee: whether it has the L1 data fee, the two scalars and the vault)."""
ORACLE_SERVICE = "step/StepOracle"
"""The GasPriceOracle's block-start writes on a chain with the L1 data fee (StepBlockStart calls
it; it takes StepMpt and the two scalars); not deployed for a chain without the fee."""
TX_AUTHORIZE = "step/StepTxAuthorize"
"""A started EIP-7702 transaction's authorizations (StepTxPending forwards them; it takes
StepMpt and StepTxFrame)."""
TX_PENDING = "step/StepTxPending"
"""A started transaction's warm-key sub-steps (StepTxStart forwards started states to it; it
takes StepMpt, StepTxAuthorize and StepTxFrame)."""
CODE_SERVICE = "step/StepCode"
"""The cell roots of a code and of its jump-destination bitmap (StepTxFrame calls it)."""
TX_CREATE = "step/StepTxCreate"
"""A started creation's frame opened (StepTxFrame forwards to it; it takes StepMpt and
StepCode)."""
PRECOMPILE_SERVICE = "step/StepPrecompile"
"""A precompile's run priced by Prague's formulas (StepTxPrecompile calls it)."""
TX_PRECOMPILE = "step/StepTxPrecompile"
"""A started transaction's precompile run (StepTxFrame forwards to it; it takes StepMpt and
StepPrecompile)."""
TX_FRAME = "step/StepTxFrame"
"""A started transaction's frame opened (StepTxPending and StepTxAuthorize forward to it; it
takes StepMpt, StepCode, StepTxCreate and StepTxPrecompile)."""
CALL_CHECK = "step/StepCallCheck"
"""A call step's first half, up to the code source's account (StepCall asks it; it takes
StepMpt)."""
CALL = "step/StepCall"
"""The call instructions' part: takes StepMpt, StepCode, StepPrecompile and StepCallCheck."""
CREATE_CHECK = "step/StepCreateCheck"
"""A creation step's first half, up to the creator's failure checks (StepCreate asks it; it
takes StepMpt)."""
CREATE = "step/StepCreate"
"""The creation instructions' part: takes StepMpt, StepCode and StepCreateCheck."""
TX_DECODE = "step/StepTxDecode"
"""A raw transaction decoded as py-evm does, its sender recovered, and the inclusion rules
(StepTxOwn calls it)."""
TX_OWN = "step/StepTxOwn"
"""A forced or own transaction's start (StepTxStart forwards it; it takes StepMpt, StepTxDecode,
StepTxFrame and whether the chain has the L1 data fee)."""
ROUTER = "step/StepRouter"
STEP_PARTS = ("step/StepFlow", "step/StepArith", "step/StepMemory", "step/StepCopy",
              "step/StepStorage", "step/StepAccount", "step/StepBlockEnd", "step/StepTxEnd",
              "step/StepBlockStart", "step/StepTxStart", "step/StepReturn",
              "step/StepSelfdestruct", CALL, CREATE)
"""In the order of the router's constructor (the opcodes' parts 1..6, then the block-end,
transaction-end, block-start and transaction-start parts that the router picks by the
witness's phase word, then the return part it picks for STOP, RETURN and REVERT at depth > 0,
then SELFDESTRUCT's part, then the call and the creation instructions' parts)."""
PARTS_THAT_READ_STATE = frozenset({"step/StepStorage", "step/StepAccount", "step/StepBlockEnd",
                                   "step/StepReturn", "step/StepSelfdestruct"})
"""They take the StepMpt address: Merkle-Patricia proofs against the state root."""
BLOCK_START = "step/StepBlockStart"
"""Takes StepMpt, the L1 ForcedInclusionQueue it reads the forced items from, the chain's
rules (chain id, base-fee floor, elasticity, denominator, anchored, L1 data fee): constants no
hash commits to (docs/fault_proofs.md 4.1), and StepOracle (the zero address without the fee)."""


@dataclass(frozen=True)
class StepVerifierDeployment:
    router: bytes
    """The address the dispute game calls."""
    parts: tuple[bytes, ...]
    """In STEP_PARTS order."""
    mpt: bytes


async def deploy_step_verifier(client: L1Client, deployer: LocalAccount, rules: ChainRules,
                               forced_queue: bytes) -> StepVerifierDeployment:
    """The services, then the parts, then the router naming them: one at a time. ``rules``
    and ``forced_queue`` (the zero address for a chain without L1) are the block-start part's
    constants; the transaction-start part reads the queue too. A chain with the L1 data fee
    needs its l1Fee rules (``rules.l1_fee_rules``): the verifier charges them."""
    fee = rules.l1_fee_rules
    if rules.l1_fee and fee is None:
        raise ValueError("a chain with the L1 data fee needs its l1Fee rules (scalars, vault) "
                         "for its step verifier")
    mpt = await _deploy(client, deployer, MPT_SERVICE)
    index_trie = await _deploy(client, deployer, INDEX_TRIE_SERVICE)
    tx_end_state = await _deploy(
        client, deployer, TX_END_STATE, mpt, fee is not None,
        *((fee.base_fee_scalar, fee.blob_base_fee_scalar, fee.vault) if fee else
          (0, 0, bytes(20))))
    oracle = bytes(20) if fee is None else await _deploy(
        client, deployer, ORACLE_SERVICE, mpt, fee.base_fee_scalar, fee.blob_base_fee_scalar)
    code = await _deploy(client, deployer, CODE_SERVICE)
    tx_create = await _deploy(client, deployer, TX_CREATE, mpt, code)
    precompile = await _deploy(client, deployer, PRECOMPILE_SERVICE)
    tx_precompile = await _deploy(client, deployer, TX_PRECOMPILE, mpt, precompile)
    tx_frame = await _deploy(client, deployer, TX_FRAME, mpt, code, tx_create, tx_precompile)
    tx_authorize = await _deploy(client, deployer, TX_AUTHORIZE, mpt, tx_frame)
    tx_pending = await _deploy(client, deployer, TX_PENDING, mpt, tx_authorize, tx_frame)
    arguments: dict[str, tuple[bytes | int | bool, ...]] = {
        name: (mpt,) for name in PARTS_THAT_READ_STATE}
    arguments["step/StepTxEnd"] = (index_trie, tx_end_state)
    arguments[BLOCK_START] = (mpt, forced_queue, rules.chain_id, rules.base_fee_floor,
                              rules.elasticity_multiplier,
                              rules.base_fee_max_change_denominator, rules.anchored,
                              rules.l1_fee, oracle)
    tx_own = await _deploy(client, deployer, TX_OWN, mpt,
                           await _deploy(client, deployer, TX_DECODE), tx_frame, rules.l1_fee)
    arguments["step/StepTxStart"] = (mpt, forced_queue, tx_pending, tx_own)
    arguments[CALL] = (mpt, code, precompile, await _deploy(client, deployer, CALL_CHECK, mpt))
    arguments[CREATE] = (mpt, code, await _deploy(client, deployer, CREATE_CHECK, mpt))
    parts = [await _deploy(client, deployer, name, *arguments.get(name, ()))
             for name in STEP_PARTS]
    router = await _deploy(client, deployer, ROUTER, *parts)
    return StepVerifierDeployment(router, tuple(parts), mpt)


async def _deploy(client: L1Client, deployer: LocalAccount, name: str,
                  *args: bytes | int | bool) -> bytes:
    compiled = compile_contract(name)
    handle, _ = await ContractHandle.deploy(client, deployer, compiled.abi, compiled.bytecode,
                                            *args, timeout=RECEIPT_TIMEOUT)
    return handle.address
