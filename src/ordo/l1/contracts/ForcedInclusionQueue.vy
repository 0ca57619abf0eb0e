# pragma version ~=0.4.3
"""
@title ForcedInclusionQueue
@notice Censorship resistance for Ordo: anyone who cannot get a transaction past the sequencers
        enqueues it here (or an ETH deposit to mint on L2), and the RollupInbox refuses every
        batch that lets an item's deadline pass without including it.

@dev Items are numbered from 0 in enqueue order and their deadlines never decrease (each is
     the enqueue block plus one fixed window), so "every item up to N is in L2" is one number
     per batch (`forced_through`) and the inbox checks one deadline: that of the first item the
     batch leaves out.

     Storage keeps only what the inbox and an auditor must read on chain; a raw transaction is
     kept as its keccak256 and travels in full in the TransactionEnqueued event, which is what
     nodes read (at confirmed L1 heights) to include the item. The L2 mints a deposit's
     `amount` to the recipient; the ETH itself goes to the WithdrawalPortal, which pays
     withdrawals out of it, so every L2 wei minted by a deposit is backed there one for one.
     Until the owner names the portal (once, at deployment), deposit ETH stays locked here and
     is forwarded in full when the portal is set. Fees are kept apart from deposits and paid to
     the fee recipient on request.
"""


interface WithdrawalPortal:
    def receive_deposit(): payable
    def queue() -> address: view


KIND_TRANSACTION: public(constant(uint8)) = 0
KIND_DEPOSIT: public(constant(uint8)) = 1
# A raw signed L2 transaction of up to 16 KiB: big enough for a contract call with data, small
# enough that an attacker cannot make each item expensive for the nodes that must include it.
MAX_RAW_TRANSACTION: public(constant(uint256)) = 16_384
# About ten minutes of 12 s L1 blocks: "minutes, not the 12 to 24 hours of OP and Arbitrum".
DEFAULT_INCLUSION_WINDOW: public(constant(uint256)) = 50


struct ForcedItem:
    kind: uint8
    sender: address
    transaction_hash: bytes32
    recipient: address
    amount: uint256
    enqueued_block: uint256
    deadline: uint256


event TransactionEnqueued:
    index: indexed(uint256)
    sender: indexed(address)
    transaction_hash: indexed(bytes32)
    raw_transaction: Bytes[MAX_RAW_TRANSACTION]
    fee: uint256
    deadline: uint256


event DepositEnqueued:
    index: indexed(uint256)
    sender: indexed(address)
    recipient: indexed(address)
    amount: uint256
    fee: uint256
    deadline: uint256


event FeesClaimed:
    recipient: indexed(address)
    amount: uint256


event PortalSet:
    portal: indexed(address)
    forwarded: uint256


owner: public(address)
portal: public(address)
inclusion_window: public(uint256)
min_fee: public(uint256)
fee_recipient: public(address)
fees_collected: public(uint256)
# Deposit ETH held by this contract: it grows only while no portal is set, and set_portal
# forwards it all (so it is zero from then on, and the portal's deposits_received is the total).
deposits_locked: public(uint256)
item_count: uint256
items: public(HashMap[uint256, ForcedItem])


@deploy
def __init__(inclusion_window: uint256, min_fee: uint256, fee_recipient: address):
    """
    @param inclusion_window L1 blocks an item may wait before a batch must include it.
    @param min_fee Wei paid per item, so the queue cannot be flooded for free.
    """
    assert inclusion_window > 0, "ForcedInclusionQueue: inclusion window must be positive"
    assert fee_recipient != empty(address), "ForcedInclusionQueue: fee recipient is the zero address"
    self.inclusion_window = inclusion_window
    self.min_fee = min_fee
    self.fee_recipient = fee_recipient
    self.owner = msg.sender


@external
def set_portal(portal: address):
    """
    @notice Name the WithdrawalPortal that holds deposit ETH, once: a portal that could be
            changed later would let the owner move every deposit to a contract of its choosing.
            The deposits locked so far are forwarded to it at once.
    """
    assert msg.sender == self.owner, "ForcedInclusionQueue: only the owner may set the portal"
    assert self.portal == empty(address), "ForcedInclusionQueue: portal already set"
    assert portal != empty(address), "ForcedInclusionQueue: portal is the zero address"
    assert staticcall WithdrawalPortal(portal).queue() == self, \
        "ForcedInclusionQueue: the portal serves another queue"
    self.portal = portal
    forwarded: uint256 = self.deposits_locked
    self.deposits_locked = 0
    if forwarded > 0:
        extcall WithdrawalPortal(portal).receive_deposit(value=forwarded)
    log PortalSet(portal=portal, forwarded=forwarded)


@internal
def _append(item: ForcedItem) -> uint256:
    index: uint256 = self.item_count
    self.items[index] = item
    self.item_count = index + 1
    return index


@external
@payable
def enqueue_transaction(raw_transaction: Bytes[MAX_RAW_TRANSACTION]) -> uint256:
    """@notice Queue a signed L2 transaction; all of msg.value is the fee. Returns its index.
    @dev The transaction is not checked here: an invalid one is included on L2 as a failed
         no-op, so the queue always advances."""
    assert len(raw_transaction) > 0, "ForcedInclusionQueue: empty transaction"
    assert msg.value >= self.min_fee, "ForcedInclusionQueue: fee below minimum"
    deadline: uint256 = block.number + self.inclusion_window
    transaction_hash: bytes32 = keccak256(raw_transaction)
    self.fees_collected += msg.value
    index: uint256 = self._append(
        ForcedItem(
            kind=KIND_TRANSACTION,
            sender=msg.sender,
            transaction_hash=transaction_hash,
            recipient=empty(address),
            amount=0,
            enqueued_block=block.number,
            deadline=deadline,
        )
    )
    log TransactionEnqueued(
        index=index,
        sender=msg.sender,
        transaction_hash=transaction_hash,
        raw_transaction=raw_transaction,
        fee=msg.value,
        deadline=deadline,
    )
    return index


@external
@payable
def deposit(recipient: address) -> uint256:
    """@notice Deposit msg.value minus the minimum fee, minted to `recipient` on L2; the amount
    goes to the WithdrawalPortal (or stays locked here until a portal is set). Returns the
    item's index."""
    assert recipient != empty(address), "ForcedInclusionQueue: recipient is the zero address"
    fee: uint256 = self.min_fee
    assert msg.value > fee, "ForcedInclusionQueue: deposit does not exceed the fee"
    amount: uint256 = msg.value - fee
    deadline: uint256 = block.number + self.inclusion_window
    self.fees_collected += fee
    portal: address = self.portal
    if portal == empty(address):
        self.deposits_locked += amount
    index: uint256 = self._append(
        ForcedItem(
            kind=KIND_DEPOSIT,
            sender=msg.sender,
            transaction_hash=empty(bytes32),
            recipient=recipient,
            amount=amount,
            enqueued_block=block.number,
            deadline=deadline,
        )
    )
    log DepositEnqueued(
        index=index, sender=msg.sender, recipient=recipient, amount=amount, fee=fee,
        deadline=deadline,
    )
    if portal != empty(address):
        extcall WithdrawalPortal(portal).receive_deposit(value=amount)
    return index


@external
@view
def length() -> uint256:
    return self.item_count


@external
@view
def deadline_of(index: uint256) -> uint256:
    """@notice The last L1 block at which a batch may still leave item `index` out."""
    assert index < self.item_count, "ForcedInclusionQueue: no item at that index"
    return self.items[index].deadline


@external
def claim_fees():
    amount: uint256 = self.fees_collected
    assert amount > 0, "ForcedInclusionQueue: no fees to claim"
    self.fees_collected = 0
    send(self.fee_recipient, amount)
    log FeesClaimed(recipient=self.fee_recipient, amount=amount)
