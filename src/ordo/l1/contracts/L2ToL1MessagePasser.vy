# pragma version ~=0.4.3
"""
@title L2ToL1MessagePasser
@notice Ordo's L2 side of withdrawals. It lives in every Ordo genesis at the fixed address
        0x4f52444f00000000000000000000000000000016 (ordo.settlement.message_passer) and is the
        only contract the L1 WithdrawalPortal trusts: a withdrawal exists when this contract's
        storage says so under an output root that landed on L1.

@dev A user calls `initiate_withdrawal` with the ETH to take out and, optionally, a call to
     make on L1 (target, gas limit, data). The contract records
         sent_messages[keccak256(abi.encode(nonce, sender, target, value, gas_limit, data))] = True
     at storage slot 0 (Vyper's HashMap slot of key k is keccak256(uint256(0) ++ k)); the batch
     header's output root commits to this contract's storage root, so the portal checks one
     Merkle-Patricia storage proof against it. The nonce makes every withdrawal's hash unique.

     The ETH leaves L2 supply at once: a throwaway contract is created with the value and
     self-destructs to itself in the same transaction, which since EIP-6780 deletes it and burns
     its balance (OP's Burn.eth does the same). What backs the withdrawal is the deposit the
     portal holds on L1.
     Nothing here is owned or upgradable, and there is no way to remove a recorded withdrawal.
"""

MAX_WITHDRAWAL_DATA: public(constant(uint256)) = 4096
VERSION: public(constant(uint256)) = 0
# Init code ADDRESS SELFDESTRUCT: the created account destroys itself with its balance as the
# beneficiary, which burns the balance (EIP-6780: destroyed in the transaction that created it).
BURN_INIT_CODE: constant(Bytes[2]) = b"\x30\xff"

event WithdrawalInitiated:
    nonce: indexed(uint256)
    sender: indexed(address)
    target: indexed(address)
    value: uint256
    gas_limit: uint256
    data: Bytes[MAX_WITHDRAWAL_DATA]
    withdrawal_hash: bytes32


# Slot 0: the portal's proofs depend on this position; keep it the first storage variable.
sent_messages: public(HashMap[bytes32, bool])
message_nonce: public(uint256)


@internal
@pure
def _withdrawal_hash(
    nonce: uint256, sender: address, target: address, amount: uint256, gas_limit: uint256,
    data: Bytes[MAX_WITHDRAWAL_DATA],
) -> bytes32:
    return keccak256(abi_encode(nonce, sender, target, amount, gas_limit, data))


@external
@pure
def withdrawal_hash(
    nonce: uint256, sender: address, target: address, amount: uint256, gas_limit: uint256,
    data: Bytes[MAX_WITHDRAWAL_DATA],
) -> bytes32:
    """@notice The hash the portal proves: keccak256(abi.encode(nonce, sender, target, value,
    gas_limit, data))."""
    return self._withdrawal_hash(nonce, sender, target, amount, gas_limit, data)


@external
@payable
def initiate_withdrawal(target: address, gas_limit: uint256, data: Bytes[MAX_WITHDRAWAL_DATA]
                        ) -> bytes32:
    """
    @notice Send msg.value to `target` on L1, and call it there with `data` and `gas_limit`
            gas when `data` is not empty. Returns the withdrawal's hash.
    @dev The L1 side pays the target once the batch carrying this block's output root is final.
    """
    assert target != empty(address), "L2ToL1MessagePasser: target is the zero address"
    assert gas_limit <= 10_000_000, "L2ToL1MessagePasser: gas_limit above 10,000,000"
    nonce: uint256 = self.message_nonce
    digest: bytes32 = self._withdrawal_hash(nonce, msg.sender, target, msg.value, gas_limit, data)
    self.sent_messages[digest] = True
    self.message_nonce = nonce + 1
    if msg.value > 0:
        burner: address = raw_create(BURN_INIT_CODE, value=msg.value)
    log WithdrawalInitiated(
        nonce=nonce, sender=msg.sender, target=target, value=msg.value, gas_limit=gas_limit,
        data=data, withdrawal_hash=digest,
    )
    return digest
