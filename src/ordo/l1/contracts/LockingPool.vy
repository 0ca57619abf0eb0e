# pragma version ~=0.4.3
"""
@title LockingPool
@notice Sequencers lock the governance token here to join Ordo's sequencer set, earn block
        rewards, and lose part of the lock when they sign two conflicting votes.

@dev Epochs and who signs what.
     The L1 keeps its own epoch counter, `current_epoch`. Anyone may call `advance_epoch()` once
     `epoch_min_interval` seconds have passed since the current epoch started; it freezes the
     pending set (every lock, relock, signer change, unlock and slash edits only the pending set)
     as the set of the new epoch. The set of an epoch that has started never changes again, so
     every reader - each node at any later L1 block, and the inbox contract - sees exactly the
     same members, stakes and set hash for it: `get_epoch_set(e)`, `epoch_set_hash(e)`,
     `epoch_total_stake(e)`. Changes therefore take effect from the next epoch at the earliest.
     We chose a permissionless counter over advancing from the inbox so that the set schedule
     does not depend on batches being posted (a stalled batcher must not freeze the set, and a
     slashed signer must leave even if the chain it attacked stops posting), and over L1 block
     numbers so that nodes and the inbox name an epoch by one small integer. An L2 epoch takes
     the set of the L1 epoch that is current at the L1 origin of its first block; the batch
     names that L1 epoch and the inbox checks certificates against `get_epoch_set` of it.
     Snapshots are stored once per distinct set (a version); an epoch whose pending set did not
     change points at the previous version, so advancing an unchanged set costs no set copy.

     Stake stays slashable while it can weigh in a set: `unlock()` removes the sequencer from
     the pending set at once, but `withdraw()` needs both the exit delay and an epoch change
     after the unlock, so the stake is locked as long as any started epoch counts it.

     A signer address stays bound to the owner that first registered it, even after
     `update_signer`, so votes signed with an old key can still be reported against its owner.

     Disproved roots. The dispute game named once by the owner (`set_dispute_game`, with the
     share `dispute_slash_bps`) slashes every signer of a batch header whose output root lost
     (`slash_signers`), and receives the tokens for the winner. The exit delay exceeds the
     inbox's window plus its longest dispute, so a signer that starts its exit when it signs
     is still here when the game ends.
"""

from ethereum.ercs import IERC20

MAX_SEQUENCERS: public(constant(uint256)) = 64
MAX_SCHEDULE_YEARS: public(constant(uint256)) = 50
BPS: public(constant(uint256)) = 10_000
YEAR_SECONDS: public(constant(uint256)) = 365 * 86_400
FIRST_YEAR_MRR_BPS: public(constant(uint256)) = 2_000
PREVOTE: public(constant(uint8)) = 1
PRECOMMIT: public(constant(uint8)) = 2
# keccak256("ordo.consensus.vote.v2"): the domain tag of ordo.consensus.signing (vote format v2:
# a vote signs keccak256(abi.encode(VOTE_DOMAIN, chain_id, height, round, vote_type,
# parent_hash, block_hash)), parent_hash being the final block the voted height extends)
VOTE_DOMAIN: public(constant(bytes32)) = keccak256("ordo.consensus.vote.v2")
# the secp256k1 group order (0xFFFF...FFFE BAAEDCE6 AF48A03B BFD25E8C D0364141)
SECP256K1_N: constant(uint256) = (
    115792089237316195423570985008687907852837564279074904382605163141518161494337
)
# The deployment defaults (the reference system's numbers); the deployer passes them explicitly.
DEFAULT_MIN_LOCK: public(constant(uint256)) = 20_000 * 10**18
DEFAULT_MAX_LOCK: public(constant(uint256)) = 100_000 * 10**18
DEFAULT_EXIT_DELAY: public(constant(uint256)) = 21 * 86_400
DEFAULT_SLASH_BPS: public(constant(uint256)) = 1_000
# A small reporter share: an offender who reports itself gets it back, so it is a discount.
DEFAULT_REPORTER_BPS: public(constant(uint256)) = 1_000

STATUS_NONE: constant(uint8) = 0
STATUS_ACTIVE: constant(uint8) = 1
STATUS_EXITING: constant(uint8) = 2


struct Sequencer:
    signer: address
    amount: uint256
    reward_recipient: address
    status: uint8
    withdrawable_at: uint256
    exit_epoch: uint256
    rewards_owed: uint256


struct Member:
    signer: address
    stake: uint256


struct Vote:
    chain_id: uint256
    height: uint64
    round: uint32
    vote_type: uint8
    parent_hash: bytes32
    block_hash: bytes32
    signature: Bytes[65]


event Locked:
    owner: indexed(address)
    signer: indexed(address)
    amount: uint256


event Relocked:
    owner: indexed(address)
    added: uint256
    amount: uint256


event SignerUpdated:
    owner: indexed(address)
    old_signer: indexed(address)
    new_signer: indexed(address)


event UnlockStarted:
    owner: indexed(address)
    amount: uint256
    withdrawable_at: uint256
    exit_epoch: uint256


event Withdrawn:
    owner: indexed(address)
    amount: uint256


event EpochAdvanced:
    epoch: indexed(uint256)
    version: uint256
    set_hash: bytes32
    total_stake: uint256
    members: uint256


event RewardRecipientSet:
    owner: indexed(address)
    recipient: indexed(address)


event ReserveFunded:
    funder: indexed(address)
    amount: uint256
    reserve: uint256


event RewardCredited:
    owner: indexed(address)
    signer: indexed(address)
    blocks: uint256
    amount: uint256
    owed: uint256


event RewardClaimed:
    owner: indexed(address)
    recipient: indexed(address)
    amount: uint256
    still_owed: uint256


event Slashed:
    owner: indexed(address)
    signer: indexed(address)
    reporter: indexed(address)
    slashed: uint256
    reporter_reward: uint256
    height: uint64
    round: uint32
    vote_type: uint8


event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)


event InboxSet:
    inbox: indexed(address)


event DisputeGameSet:
    game: indexed(address)
    slash_bps: uint256


event DisputeSlashed:
    owner: indexed(address)
    signer: indexed(address)
    game: indexed(address)
    slashed: uint256


event AllowlistEnabled:
    enabled: bool


event AllowlistUpdated:
    account: indexed(address)
    allowed: bool


owner: public(address)
token: public(IERC20)
l2_chain_id: public(uint256)
min_lock: public(uint256)
max_lock: public(uint256)
exit_delay: public(uint256)
epoch_min_interval: public(uint256)
blocks_per_year: public(uint256)
slash_bps: public(uint256)
reporter_bps: public(uint256)
mrr_schedule: public(DynArray[uint256, MAX_SCHEDULE_YEARS])
rewards_start: public(uint256)
inbox: public(address)
# The dispute game may slash every signer of a disproved batch header by this share.
dispute_game: public(address)
dispute_slash_bps: public(uint256)

allowlist_enabled: public(bool)
allowed: public(HashMap[address, bool])

sequencers: public(HashMap[address, Sequencer])
signer_owner: public(HashMap[address, address])
total_locked: public(uint256)
reward_reserve: public(uint256)
reported: public(HashMap[bytes32, bool])

pending_members: DynArray[address, MAX_SEQUENCERS]
pending_slot: HashMap[address, uint256]
pending_changed: bool

current_epoch: public(uint256)
epoch_started_at: public(HashMap[uint256, uint256])
epoch_version: public(HashMap[uint256, uint256])
latest_version: public(uint256)
version_members: HashMap[uint256, DynArray[Member, MAX_SEQUENCERS]]
version_total: HashMap[uint256, uint256]
version_hash: HashMap[uint256, bytes32]


@deploy
def __init__(
    token: IERC20,
    l2_chain_id: uint256,
    min_lock: uint256,
    max_lock: uint256,
    exit_delay: uint256,
    epoch_min_interval: uint256,
    blocks_per_year: uint256,
    later_mrr_bps: DynArray[uint256, MAX_SCHEDULE_YEARS],
    slash_bps: uint256,
    reporter_bps: uint256,
):
    """
    @param later_mrr_bps Mining reward rate in basis points for year 2, 3, ...; the last entry
           holds for every later year (20% holds on if the schedule is empty).
    """
    assert token.address != empty(address), "LockingPool: token is the zero address"
    assert min_lock > 0, "LockingPool: minimum lock must be positive"
    assert min_lock <= max_lock, "LockingPool: minimum lock above maximum lock"
    assert blocks_per_year > 0, "LockingPool: blocks per year must be positive"
    assert slash_bps <= BPS, "LockingPool: slash share above 100%"
    assert reporter_bps <= BPS, "LockingPool: reporter share above 100%"
    for rate: uint256 in later_mrr_bps:
        assert rate <= BPS, "LockingPool: reward rate above 100%"
    self.owner = msg.sender
    self.token = token
    self.l2_chain_id = l2_chain_id
    self.min_lock = min_lock
    self.max_lock = max_lock
    self.exit_delay = exit_delay
    self.epoch_min_interval = epoch_min_interval
    self.blocks_per_year = blocks_per_year
    self.mrr_schedule = later_mrr_bps
    self.slash_bps = slash_bps
    self.reporter_bps = reporter_bps
    self.rewards_start = block.timestamp
    self.epoch_started_at[0] = block.timestamp
    self.version_hash[0] = keccak256(abi_encode(empty(DynArray[Member, MAX_SEQUENCERS])))


# ---------------------------------------------------------------- owner settings


@internal
@view
def _only_owner():
    assert msg.sender == self.owner, "LockingPool: caller is not the owner"


@external
def transfer_ownership(new_owner: address):
    self._only_owner()
    assert new_owner != empty(address), "LockingPool: owner is the zero address"
    log OwnershipTransferred(previous_owner=self.owner, new_owner=new_owner)
    self.owner = new_owner


@external
def set_inbox(inbox: address):
    self._only_owner()
    assert self.inbox == empty(address), "LockingPool: inbox already set"
    assert inbox != empty(address), "LockingPool: inbox is the zero address"
    self.inbox = inbox
    log InboxSet(inbox=inbox)


@external
def set_dispute_game(game: address, slash_bps: uint256):
    """
    @notice Name, once, the dispute game and the share of its locked stake each signer of a
            disproved batch header loses (large: signing a wrong root must cost more than any
            gain from it; 5000 = 50% in Ordo's deployments).
    """
    self._only_owner()
    assert self.dispute_game == empty(address), "LockingPool: dispute game already set"
    assert game != empty(address), "LockingPool: dispute game is the zero address"
    assert slash_bps > 0 and slash_bps <= BPS, "LockingPool: dispute slash share must be 1..10000 bps"
    self.dispute_game = game
    self.dispute_slash_bps = slash_bps
    log DisputeGameSet(game=game, slash_bps=slash_bps)


@external
def set_allowlist_enabled(enabled: bool):
    self._only_owner()
    self.allowlist_enabled = enabled
    log AllowlistEnabled(enabled=enabled)


@external
def set_allowed(account: address, is_allowed: bool):
    self._only_owner()
    assert account != empty(address), "LockingPool: account is the zero address"
    self.allowed[account] = is_allowed
    log AllowlistUpdated(account=account, allowed=is_allowed)


# ---------------------------------------------------------------- the pending set


@internal
def _add_pending(owner: address):
    assert len(self.pending_members) < MAX_SEQUENCERS, "LockingPool: sequencer set is full"
    self.pending_members.append(owner)
    self.pending_slot[owner] = len(self.pending_members)
    self.pending_changed = True


@internal
def _remove_pending(owner: address):
    slot: uint256 = self.pending_slot[owner]
    if slot == 0:
        return
    last: address = self.pending_members.pop()
    if last != owner:
        self.pending_members[slot - 1] = last
        self.pending_slot[last] = slot
    self.pending_slot[owner] = 0
    self.pending_changed = True


@internal
@view
def _pending_set() -> DynArray[Member, MAX_SEQUENCERS]:
    members: DynArray[Member, MAX_SEQUENCERS] = []
    for owner: address in self.pending_members:
        record: Sequencer = self.sequencers[owner]
        members.append(Member(signer=record.signer, stake=record.amount))
    return members


# ---------------------------------------------------------------- locking


# Token calls come last in every function (checks, effects, then interactions), so a token that
# calls back finds the pool's books already updated.
@internal
def _pull(amount: uint256):
    assert extcall self.token.transferFrom(msg.sender, self, amount), (
        "LockingPool: token transfer failed"
    )


@internal
def _push(receiver: address, amount: uint256):
    assert extcall self.token.transfer(receiver, amount), "LockingPool: token transfer failed"


@external
def lock(amount: uint256, signer: address):
    if self.allowlist_enabled:
        assert self.allowed[msg.sender], "LockingPool: not on the allowlist"
    record: Sequencer = self.sequencers[msg.sender]
    assert record.status != STATUS_ACTIVE, "LockingPool: already locked; use relock"
    assert record.status != STATUS_EXITING, "LockingPool: withdraw the previous lock first"
    assert signer != empty(address), "LockingPool: signer is the zero address"
    bound: address = self.signer_owner[signer]
    assert bound == empty(address) or bound == msg.sender, (
        "LockingPool: signer already registered"
    )
    assert amount >= self.min_lock, "LockingPool: lock below minimum"
    assert amount <= self.max_lock, "LockingPool: lock above maximum"
    recipient: address = record.reward_recipient
    if recipient == empty(address):
        recipient = msg.sender
    self.sequencers[msg.sender] = Sequencer(
        signer=signer,
        amount=amount,
        reward_recipient=recipient,
        status=STATUS_ACTIVE,
        withdrawable_at=0,
        exit_epoch=0,
        rewards_owed=record.rewards_owed,
    )
    self.signer_owner[signer] = msg.sender
    self.total_locked += amount
    self._add_pending(msg.sender)
    self._pull(amount)
    log Locked(owner=msg.sender, signer=signer, amount=amount)


@internal
@view
def _active(owner: address) -> Sequencer:
    record: Sequencer = self.sequencers[owner]
    assert record.status != STATUS_NONE, "LockingPool: not a sequencer"
    assert record.status == STATUS_ACTIVE, "LockingPool: sequencer is exiting"
    return record


@external
def relock(amount: uint256):
    record: Sequencer = self._active(msg.sender)
    assert amount > 0, "LockingPool: amount must be positive"
    assert record.amount + amount <= self.max_lock, "LockingPool: lock above maximum"
    self.sequencers[msg.sender].amount = record.amount + amount
    self.total_locked += amount
    self.pending_changed = True
    self._pull(amount)
    log Relocked(owner=msg.sender, added=amount, amount=record.amount + amount)


@external
def update_signer(new_signer: address):
    record: Sequencer = self._active(msg.sender)
    assert new_signer != empty(address), "LockingPool: signer is the zero address"
    assert new_signer != record.signer, "LockingPool: signer unchanged"
    assert self.signer_owner[new_signer] == empty(address), (
        "LockingPool: signer already registered"
    )
    self.signer_owner[new_signer] = msg.sender
    self.sequencers[msg.sender].signer = new_signer
    self.pending_changed = True
    log SignerUpdated(owner=msg.sender, old_signer=record.signer, new_signer=new_signer)


@internal
def _start_exit(owner: address):
    withdrawable_at: uint256 = block.timestamp + self.exit_delay
    self.sequencers[owner].status = STATUS_EXITING
    self.sequencers[owner].withdrawable_at = withdrawable_at
    self.sequencers[owner].exit_epoch = self.current_epoch
    self._remove_pending(owner)
    log UnlockStarted(
        owner=owner,
        amount=self.sequencers[owner].amount,
        withdrawable_at=withdrawable_at,
        exit_epoch=self.current_epoch,
    )


@external
def unlock():
    self._active(msg.sender)
    self._start_exit(msg.sender)


@external
@view
def stake_locked_until(signer: address) -> uint256:
    """
    @notice The earliest L1 time the stake behind `signer` could be withdrawn: max_value for an
            active sequencer (an exit starts with the full exit delay), `withdrawable_at` for an
            exiting one, 0 for a signer with no stake behind it (withdrawn or unknown). The inbox
            refuses a signature whose stake could leave before the batch's disputes can end.
    """
    owner: address = self.signer_owner[signer]
    if owner == empty(address):
        return 0
    status: uint8 = self.sequencers[owner].status
    if status == STATUS_ACTIVE:
        return max_value(uint256)
    if status == STATUS_EXITING:
        return self.sequencers[owner].withdrawable_at
    return 0


@external
def withdraw():
    record: Sequencer = self.sequencers[msg.sender]
    assert record.status != STATUS_NONE, "LockingPool: not a sequencer"
    assert record.status == STATUS_EXITING, "LockingPool: not unlocking; call unlock first"
    assert block.timestamp >= record.withdrawable_at, "LockingPool: exit delay not over"
    assert self.current_epoch > record.exit_epoch, (
        "LockingPool: stake still counts in the current epoch"
    )
    self.sequencers[msg.sender].status = STATUS_NONE
    self.sequencers[msg.sender].amount = 0
    self.sequencers[msg.sender].withdrawable_at = 0
    self.total_locked -= record.amount
    if record.amount > 0:
        self._push(msg.sender, record.amount)
    log Withdrawn(owner=msg.sender, amount=record.amount)


# ---------------------------------------------------------------- epochs


@external
def advance_epoch():
    epoch: uint256 = self.current_epoch
    assert block.timestamp >= self.epoch_started_at[epoch] + self.epoch_min_interval, (
        "LockingPool: epoch interval not over"
    )
    version: uint256 = self.latest_version
    if self.pending_changed:
        version += 1
        members: DynArray[Member, MAX_SEQUENCERS] = self._pending_set()
        total: uint256 = 0
        for member: Member in members:
            total += member.stake
        self.version_members[version] = members
        self.version_total[version] = total
        self.version_hash[version] = keccak256(abi_encode(members))
        self.latest_version = version
        self.pending_changed = False
    epoch += 1
    self.current_epoch = epoch
    self.epoch_started_at[epoch] = block.timestamp
    self.epoch_version[epoch] = version
    log EpochAdvanced(
        epoch=epoch,
        version=version,
        set_hash=self.version_hash[version],
        total_stake=self.version_total[version],
        members=len(self.version_members[version]),
    )


@internal
@view
def _started_version(epoch: uint256) -> uint256:
    assert epoch <= self.current_epoch, "LockingPool: epoch has not started"
    return self.epoch_version[epoch]


@external
@view
def get_epoch_set(epoch: uint256) -> DynArray[Member, MAX_SEQUENCERS]:
    return self.version_members[self._started_version(epoch)]


@external
@view
def epoch_set_hash(epoch: uint256) -> bytes32:
    """@notice keccak256(abi.encode(Member[])) of the epoch's set, in get_epoch_set order."""
    return self.version_hash[self._started_version(epoch)]


@external
@view
def epoch_total_stake(epoch: uint256) -> uint256:
    return self.version_total[self._started_version(epoch)]


@external
@view
def pending_set() -> DynArray[Member, MAX_SEQUENCERS]:
    """@notice The set the next advance_epoch() will freeze."""
    return self._pending_set()


# ---------------------------------------------------------------- rewards


@internal
@view
def _mrr_bps(year: uint256) -> uint256:
    if year == 0:
        return FIRST_YEAR_MRR_BPS
    count: uint256 = len(self.mrr_schedule)
    if count == 0:
        return FIRST_YEAR_MRR_BPS
    return self.mrr_schedule[min(year - 1, count - 1)]


@internal
@view
def _reward_for(blocks: uint256) -> uint256:
    year: uint256 = (block.timestamp - self.rewards_start) // YEAR_SECONDS
    stake: uint256 = self.version_total[self.epoch_version[self.current_epoch]]
    return blocks * stake * self._mrr_bps(year) // (BPS * self.blocks_per_year)


@external
@view
def mrr_bps(year: uint256) -> uint256:
    """@notice Mining reward rate of reward year `year` (0 = the first year)."""
    return self._mrr_bps(year)


@external
@view
def reward_for(blocks: uint256) -> uint256:
    """@notice What credit_reward pays now for `blocks` blocks: the current epoch's locked
    stake x this year's MRR x blocks / blocks per year, rounded down once."""
    return self._reward_for(blocks)


@external
def fund_reserve(amount: uint256):
    assert amount > 0, "LockingPool: amount must be positive"
    self.reward_reserve += amount
    self._pull(amount)
    log ReserveFunded(funder=msg.sender, amount=amount, reserve=self.reward_reserve)


@external
def credit_reward(signer: address, blocks: uint256):
    """@notice The one entry point for block rewards: the inbox credits the producer of
    `blocks` final blocks once their batch is accepted. Credit is owed even when the reserve
    is empty; claim pays it when the reserve has funds."""
    assert msg.sender == self.inbox, "LockingPool: caller is not the inbox"
    assert blocks > 0, "LockingPool: no blocks to credit"
    owner: address = self.signer_owner[signer]
    assert owner != empty(address), "LockingPool: signer is not registered"
    amount: uint256 = self._reward_for(blocks)
    owed: uint256 = self.sequencers[owner].rewards_owed + amount
    self.sequencers[owner].rewards_owed = owed
    log RewardCredited(owner=owner, signer=signer, blocks=blocks, amount=amount, owed=owed)


@external
def set_reward_recipient(recipient: address):
    assert self.sequencers[msg.sender].signer != empty(address), "LockingPool: not a sequencer"
    assert recipient != empty(address), "LockingPool: recipient is the zero address"
    self.sequencers[msg.sender].reward_recipient = recipient
    log RewardRecipientSet(owner=msg.sender, recipient=recipient)


@external
def claim_rewards(sequencer: address):
    """@notice Pays as much of the owed reward as the reserve holds; the rest stays owed."""
    record: Sequencer = self.sequencers[sequencer]
    assert record.signer != empty(address), "LockingPool: not a sequencer"
    assert msg.sender == record.reward_recipient, "LockingPool: caller is not the reward recipient"
    assert record.rewards_owed > 0, "LockingPool: no rewards owed"
    assert self.reward_reserve > 0, "LockingPool: reward reserve is empty"
    paid: uint256 = min(record.rewards_owed, self.reward_reserve)
    self.reward_reserve -= paid
    self.sequencers[sequencer].rewards_owed = record.rewards_owed - paid
    self._push(msg.sender, paid)
    log RewardClaimed(
        owner=sequencer, recipient=msg.sender, amount=paid, still_owed=record.rewards_owed - paid
    )


# ---------------------------------------------------------------- slashing


@internal
@view
def _vote_signer(vote: Vote) -> address:
    """The address that signed `vote`, accepting only the one canonical signature encoding
    Ordo's nodes produce (65 bytes, low s, parity 0 or 1)."""
    assert len(vote.signature) == 65, "LockingPool: signature must be 65 bytes"
    r: uint256 = convert(extract32(vote.signature, 0), uint256)
    s: uint256 = convert(extract32(vote.signature, 32), uint256)
    parity: uint256 = convert(slice(vote.signature, 64, 1), uint256)
    assert parity <= 1, "LockingPool: signature parity must be 0 or 1"
    assert r > 0 and r < SECP256K1_N, "LockingPool: signature r out of range"
    assert s > 0 and s <= SECP256K1_N // 2, "LockingPool: signature s not in the low half"
    digest: bytes32 = keccak256(
        abi_encode(
            VOTE_DOMAIN,
            vote.chain_id,
            vote.height,
            vote.round,
            vote.vote_type,
            vote.parent_hash,
            vote.block_hash,
        )
    )
    signer: address = ecrecover(digest, parity + 27, r, s)
    assert signer != empty(address), "LockingPool: signature does not recover"
    return signer


@internal
@pure
def _offence(
    signer: address, height: uint64, round: uint32, vote_type: uint8, parent_hash: bytes32
) -> bytes32:
    return keccak256(abi_encode(signer, height, round, vote_type, parent_hash))


@external
@view
def offence_reported(
    signer: address, height: uint64, round: uint32, vote_type: uint8, parent_hash: bytes32
) -> bool:
    """@notice Lets a reporter check before paying gas for a report that would be refused."""
    return self.reported[self._offence(signer, height, round, vote_type, parent_hash)]


@external
def report_equivocation(vote_a: Vote, vote_b: Vote):
    assert vote_a.chain_id == self.l2_chain_id, "LockingPool: vote is for another chain"
    assert vote_b.chain_id == self.l2_chain_id, "LockingPool: vote is for another chain"
    assert vote_a.height == vote_b.height, "LockingPool: votes are for different heights"
    assert vote_a.round == vote_b.round, "LockingPool: votes are for different rounds"
    assert vote_a.vote_type == vote_b.vote_type, "LockingPool: votes are of different types"
    assert vote_a.vote_type == PREVOTE or vote_a.vote_type == PRECOMMIT, (
        "LockingPool: unknown vote type"
    )
    # Votes on different parents are about different chains (e.g. a validator's precommit on
    # blocks later dropped for L1's fallback chain, and its vote on L1's chain): no offence.
    assert vote_a.parent_hash == vote_b.parent_hash, (
        "LockingPool: votes extend different parents, not an equivocation"
    )
    assert vote_a.block_hash != vote_b.block_hash, "LockingPool: votes name the same block"
    signer: address = self._vote_signer(vote_a)
    assert self._vote_signer(vote_b) == signer, "LockingPool: votes are signed by different keys"
    owner: address = self.signer_owner[signer]
    assert owner != empty(address), "LockingPool: signer is not registered"
    # One offence per (signer, height, round, type, parent): the pair in either order, or
    # another conflicting vote of the same step on the same chain, is the same offence and is
    # punished once.
    offence: bytes32 = self._offence(
        signer, vote_a.height, vote_a.round, vote_a.vote_type, vote_a.parent_hash
    )
    assert not self.reported[offence], "LockingPool: equivocation already reported"
    record: Sequencer = self.sequencers[owner]
    assert record.amount > 0, "LockingPool: sequencer has no stake left to slash"
    self.reported[offence] = True

    slashed: uint256 = record.amount * self.slash_bps // BPS
    reporter_reward: uint256 = slashed * self.reporter_bps // BPS
    self.sequencers[owner].amount = record.amount - slashed
    self.total_locked -= slashed
    self.reward_reserve += slashed - reporter_reward
    if record.status == STATUS_ACTIVE:
        self._start_exit(owner)
    if reporter_reward > 0:
        self._push(msg.sender, reporter_reward)
    log Slashed(
        owner=owner,
        signer=signer,
        reporter=msg.sender,
        slashed=slashed,
        reporter_reward=reporter_reward,
        height=vote_a.height,
        round=vote_a.round,
        vote_type=vote_a.vote_type,
    )


@external
def slash_signers(signers: DynArray[address, MAX_SEQUENCERS]) -> uint256:
    """
    @notice The dispute game slashes every signer of a header whose output root lost:
            `dispute_slash_bps` of each one's remaining stake (exiting or not, as long as it was
            not withdrawn: the exit delay outlasts window + longest game), starting the exit
            of an active one; the slashed tokens go to the game for the winner's credit.
    @return The tokens sent to the game.
    """
    assert msg.sender == self.dispute_game and msg.sender != empty(address), (
        "LockingPool: only the dispute game slashes signers"
    )
    total: uint256 = 0
    for signer: address in signers:
        owner: address = self.signer_owner[signer]
        if owner == empty(address):
            continue
        record: Sequencer = self.sequencers[owner]
        slashed: uint256 = record.amount * self.dispute_slash_bps // BPS
        if slashed == 0:
            continue
        self.sequencers[owner].amount = record.amount - slashed
        self.total_locked -= slashed
        total += slashed
        if record.status == STATUS_ACTIVE:
            self._start_exit(owner)
        log DisputeSlashed(owner=owner, signer=signer, game=msg.sender, slashed=slashed)
    if total > 0:
        self._push(msg.sender, total)
    return total
