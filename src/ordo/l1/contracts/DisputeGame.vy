# pragma version ~=0.4.3
"""
@title DisputeGame
@notice Anyone may dispute the output root of a landed Ordo batch, and anyone may defend it: a
        claim tree bisected first over the batch's blocks (output roots) and then over the step
        trace of one block (machine-state commitments), decided at a leaf by one step of the
        on-chain step verifier. A lost root removes its batch and every later one from the inbox
        and slashes every signer of its header; a defended root pays the challenger's bond to
        its defenders. docs/fault_proofs.md section 6 states the rules this contract enforces.

@dev Model: OP Stack's FaultDisputeGame (positions as generalized indexes, attack = 2p,
     defend = 2(p + 1), trace ancestors, subgame resolution in bounded chunks with the leftmost
     uncountered child as the winner, pull payments). Differences: one contract holds the game
     of every batch (one tree per landing of a header, so challengers never queue behind each
     other; void once the batch leaves the inbox); moves name the batch header hash; claims are
     packed in four storage slots; a clock extension is uniform
     (no doubling at the split) so the longest game has the closed bound `max_game_duration()`;
     the root claim is bonded by the signers' stake, not by ETH.

     Positions. A claim at depth d and index i (0 <= i < 2^d) has position 2^d + i. The root
     (the batch's output root) is position 1. Depths 0..SPLIT_DEPTH are output claims: a claim
     at position p commits to the output root after block t of the batch, t its trace index
     (the index at depth SPLIT_DEPTH of the rightmost leaf below p); blocks past the last one
     repeat the last block's root. Depths SPLIT_DEPTH + 1 .. max_game_depth are step claims: the
     subgame below the output leaf it counters bisects the 2^max_step_depth steps of one block,
     a claim at depth max_game_depth being countered only by `step`.
"""

# 256 KiB, the verifier's own bound (step/witness.vy, IStepVerifier.vyi, the tracer's
# MAX_WITNESS_BYTES): a transaction-end step under the proposed bounds takes a 225,824-byte
# witness (docs/fault_proofs.md 3.7), so a lower bound here would leave such a leaf
# uncounterable. Such a step transaction exceeds the 128 KiB a geth pool accepts and must be
# sent to a builder directly (docs 6.3).
MAX_WITNESS: public(constant(uint256)) = 262144
SPLIT_DEPTH: public(constant(uint256)) = 10
# Bounds the depth loops; max_game_depth = SPLIT_DEPTH + 1 + max_step_depth <= 62.
MAX_DEPTH_BOUND: constant(uint256) = 64
MAX_STEP_DEPTH_LIMIT: public(constant(uint256)) = 51
MAX_SIGNERS: public(constant(uint256)) = 64
# Children looked at by one resolve_claim call at most: resolution never runs out of gas.
MAX_RESOLVE_CHUNK: public(constant(uint256)) = 256
BPS: constant(uint256) = 10_000
MASK64: constant(uint256) = 2**64 - 1

STATUS_NONE: public(constant(uint8)) = 0
STATUS_OPEN: public(constant(uint8)) = 1
STATUS_LOST: public(constant(uint8)) = 2
STATUS_DEFENDED: public(constant(uint8)) = 3
# The game's batch left the inbox (an earlier batch lost) before the game was decided: every
# claim's bond goes back to its claimant. The inbox never sees it (the batch is gone).
STATUS_VOID: public(constant(uint8)) = 4

PHASE_BLOCK_START: constant(uint256) = 1
PHASE_DONE: constant(uint256) = 6


interface Inbox:
    def next_index() -> uint256: view
    def batch_hash(index: uint256) -> bytes32: view
    def output_roots(index: uint256) -> bytes32: view
    def inputs_roots(index: uint256) -> bytes32: view
    def landed_at(index: uint256) -> uint256: view
    def landings(index: uint256) -> uint256: view
    def challenge_window() -> uint256: view
    def batch_block_count(index: uint256) -> uint256: view
    def signers_hashes(index: uint256) -> bytes32: view
    def remove_batches(index: uint256, header_hash: bytes32) -> uint256: nonpayable


interface Pool:
    def token() -> address: view
    def slash_signers(signers: DynArray[address, MAX_SIGNERS]) -> uint256: nonpayable


interface StepVerifier:
    def step(pre_state: bytes32, witness: Bytes[MAX_WITNESS]) -> bytes32: view


interface Token:
    def transfer(receiver: address, amount: uint256) -> bool: nonpayable


struct Game:
    batch_index: uint256
    batch_hash: bytes32
    landed_at: uint256
    root_claim: bytes32
    start_root: bytes32
    inputs_root: bytes32
    block_count: uint256
    claim_count: uint256
    status: uint8
    landing: uint256


struct Claim:
    parent_index: uint256
    countered_by: address
    claimant: address
    bond: uint256
    claim: bytes32
    position: uint256
    clock_duration: uint256
    clock_timestamp: uint256


# A claim as stored: four slots, three written by a move (countered_by is set later).
#   claimant_bond = claimant | bond << 160
#   meta = position | parent_index << 64 | clock_duration << 128 | clock_timestamp << 192
struct StoredClaim:
    claim: bytes32
    claimant_bond: uint256
    countered_by: address
    meta: uint256


struct Checkpoint:
    started: bool
    cursor: uint256
    countered_by: address
    leftmost: uint256


event GameOpened:
    game_id: indexed(uint256)
    batch_index: indexed(uint256)
    batch_hash: indexed(bytes32)
    root_claim: bytes32
    challenger: address


event Move:
    game_id: indexed(uint256)
    parent_index: indexed(uint256)
    claimant: indexed(address)
    claim_index: uint256
    claim: bytes32
    position: uint256


event Stepped:
    game_id: indexed(uint256)
    claim_index: indexed(uint256)
    stepper: indexed(address)


event GameResolved:
    game_id: indexed(uint256)
    batch_index: indexed(uint256)
    status: uint8
    winner: address
    slashed: uint256
    fallback_bond: uint256


event CreditClaimed:
    recipient: indexed(address)
    eth: uint256
    tokens: uint256


inbox: public(Inbox)
pool: public(Pool)
token: public(Token)
verifier: public(StepVerifier)
genesis_output_root: public(bytes32)
max_step_depth: public(uint256)
max_game_depth: public(uint256)
max_clock_duration: public(uint256)
clock_extension: public(uint256)
base_bond: public(uint256)
bond_growth_bps: public(uint256)

game_count: public(uint256)
games: public(HashMap[uint256, Game])
# keccak256(abi.encode(header hash, landing number)) -> game id: one game per landing of a
# header (the inbox numbers every acceptance, so a header landing again in the same L1 block
# after a removal is a new landing with no game).
game_of: public(HashMap[bytes32, uint256])
stored: HashMap[uint256, HashMap[uint256, StoredClaim]]
child_count: public(HashMap[uint256, HashMap[uint256, uint256]])
children: public(HashMap[uint256, HashMap[uint256, HashMap[uint256, uint256]]])
claim_made: HashMap[bytes32, bool]
resolved: public(HashMap[uint256, HashMap[uint256, bool]])
checkpoints: public(HashMap[uint256, HashMap[uint256, Checkpoint]])
credit: public(HashMap[address, uint256])
token_credit: public(HashMap[address, uint256])


@deploy
def __init__(
    inbox: Inbox,
    pool: Pool,
    verifier: StepVerifier,
    genesis_output_root: bytes32,
    max_step_depth: uint256,
    max_clock_duration: uint256,
    clock_extension: uint256,
    base_bond: uint256,
    bond_growth_bps: uint256,
):
    """
    @param genesis_output_root The agreed start of batch 0: the output root of L2 block 0.
    @param max_step_depth log2 of the steps a block's trace is padded to (32: 2^32 steps).
    @param max_clock_duration Seconds each side may spend along one path of the tree.
    @param clock_extension Seconds a side is always left to answer (OP's extension, uniform).
    @param base_bond Wei bonded by a claim at depth 1; deeper claims multiply it by
           bond_growth_bps / 10000 per level.
    """
    assert inbox.address != empty(address), "DisputeGame: inbox is the zero address"
    assert pool.address != empty(address), "DisputeGame: pool is the zero address"
    assert verifier.address != empty(address), "DisputeGame: verifier is the zero address"
    assert genesis_output_root != empty(bytes32), "DisputeGame: genesis output root is zero"
    assert max_step_depth >= 1 and max_step_depth <= MAX_STEP_DEPTH_LIMIT, (
        "DisputeGame: max step depth must be 1..51"
    )
    assert max_clock_duration > 0, "DisputeGame: max clock duration must be positive"
    assert 2 * clock_extension <= max_clock_duration, (
        "DisputeGame: clock extension above half the max clock duration"
    )
    assert base_bond > 0, "DisputeGame: base bond must be positive"
    assert bond_growth_bps >= BPS and bond_growth_bps <= 2 * BPS, (
        "DisputeGame: bond growth must be 10000..20000 bps per level"
    )
    self.inbox = inbox
    self.pool = pool
    self.token = Token(staticcall pool.token())
    self.verifier = verifier
    self.genesis_output_root = genesis_output_root
    self.max_step_depth = max_step_depth
    self.max_game_depth = SPLIT_DEPTH + 1 + max_step_depth
    self.max_clock_duration = max_clock_duration
    self.clock_extension = clock_extension
    self.base_bond = base_bond
    self.bond_growth_bps = bond_growth_bps
    # A claim's bond is stored in 96 bits: more wei than exist, unless misconfigured.
    assert self._bond(SPLIT_DEPTH + 1 + max_step_depth) < 2**96, (
        "DisputeGame: the bond at the max depth exceeds 2^96 wei"
    )


# ---------------------------------------------------------------- claims in storage


@internal
@view
def _load(game_id: uint256, index: uint256) -> Claim:
    stored: StoredClaim = self.stored[game_id][index]
    return Claim(
        parent_index=(stored.meta >> 64) & MASK64,
        countered_by=stored.countered_by,
        claimant=convert(convert(stored.claimant_bond & convert(max_value(uint160), uint256),
                                 uint160), address),
        bond=stored.claimant_bond >> 160,
        claim=stored.claim,
        position=stored.meta & MASK64,
        clock_duration=(stored.meta >> 128) & MASK64,
        clock_timestamp=stored.meta >> 192,
    )


@internal
def _save(game_id: uint256, index: uint256, claim: Claim):
    """Positions stay below 2^63 (max_game_depth <= 62), indexes, durations and timestamps
    below 2^64 and bonds below 2^96 wei, so the packing never truncates."""
    self.stored[game_id][index].claim = claim.claim
    self.stored[game_id][index].claimant_bond = convert(convert(claim.claimant, uint160),
                                                        uint256) | (claim.bond << 160)
    self.stored[game_id][index].meta = claim.position | (claim.parent_index << 64) | (
        claim.clock_duration << 128) | (claim.clock_timestamp << 192)


@internal
@view
def _position(game_id: uint256, index: uint256) -> uint256:
    return self.stored[game_id][index].meta & MASK64


@internal
@view
def _parent(game_id: uint256, index: uint256) -> uint256:
    return (self.stored[game_id][index].meta >> 64) & MASK64


@external
@view
def claims(game_id: uint256, index: uint256) -> Claim:
    """@notice Claim `index` of game `game_id` (zero fields past the last claim)."""
    return self._load(game_id, index)


# ---------------------------------------------------------------- positions


@internal
@pure
def _depth(position: uint256) -> uint256:
    """floor(log2(position)): the depth of a generalized index."""
    depth: uint256 = 0
    for _: uint256 in range(MAX_DEPTH_BOUND):
        if position >> (depth + 1) == 0:
            break
        depth += 1
    return depth


@internal
@pure
def _trace_index(position: uint256, depth: uint256, to_depth: uint256) -> uint256:
    """Index at `to_depth` of the rightmost descendant of `position` (at `depth`)."""
    levels: uint256 = to_depth - depth
    return ((position << levels) | ((1 << levels) - 1)) - (1 << to_depth)


@internal
@pure
def _trace_ancestor(position: uint256) -> uint256:
    """The highest ancestor committing to the same trace index: strip the trailing ones (a
    right child commits to its parent's rightmost leaf). An all-ones position (the right edge,
    2047 at the split depth) strips to 0: its ancestor is the root, which commits to the last
    trace index (OP clamps the same way)."""
    p: uint256 = position
    for _: uint256 in range(MAX_DEPTH_BOUND):
        if p & 1 == 0:
            break
        p = p >> 1
    if p == 0:
        return 1
    return p


@internal
@view
def _find_ancestor(game_id: uint256, position: uint256, start: uint256) -> uint256:
    """Index of the claim on the path from `start` to the root whose position is the trace
    ancestor of `position`. The bisection guarantees it is on that path."""
    target: uint256 = self._trace_ancestor(position)
    index: uint256 = start
    for _: uint256 in range(MAX_DEPTH_BOUND):
        if self._position(game_id, index) == target:
            return index
        index = self._parent(game_id, index)
    raise "DisputeGame: no claim commits to that trace index"


# ---------------------------------------------------------------- bonds and clocks


@internal
@view
def _bond(depth: uint256) -> uint256:
    bond: uint256 = self.base_bond
    for level: uint256 in range(2, MAX_DEPTH_BOUND):
        if level > depth:
            break
        bond = bond * self.bond_growth_bps // BPS
    return bond


@external
@view
def required_bond(depth: uint256) -> uint256:
    """@notice Wei a claim at `depth` (1..max_game_depth) must bond."""
    assert depth >= 1 and depth <= self.max_game_depth, "DisputeGame: no claim at that depth"
    return self._bond(depth)


@external
@view
def max_game_duration() -> uint256:
    """@notice The longest a game can stay open after the last attack on its root (made before
    the batch's challenge window ends) until every claim can be resolved: both clocks, plus one
    extension per level and two to spare. Every game on a batch is decided by landed_at +
    challenge_window + this; the inbox requires it to fit max_dispute_duration."""
    return 2 * self.max_clock_duration + (self.max_game_depth + 2) * self.clock_extension


@internal
@view
def _challenger_duration(game_id: uint256, index: uint256) -> uint256:
    """Seconds the side that would counter claim `index` has used along its path."""
    meta: uint256 = self.stored[game_id][index].meta
    used: uint256 = 0
    if index != 0:
        used = (self.stored[game_id][(meta >> 64) & MASK64].meta >> 128) & MASK64
    used += block.timestamp - (meta >> 192)
    return min(used, self.max_clock_duration)


@external
@view
def challenger_duration(game_id: uint256, index: uint256) -> uint256:
    return self._challenger_duration(game_id, index)


# ---------------------------------------------------------------- moves


@internal
@pure
def _game_key(batch_hash: bytes32, landing: uint256) -> bytes32:
    return keccak256(abi_encode(batch_hash, landing))


@internal
@view
def _batch_live(game: Game) -> bool:
    """The inbox still holds the game's batch, as the same landing of the same header."""
    index: uint256 = game.batch_index
    return index < staticcall self.inbox.next_index() and \
        staticcall self.inbox.batch_hash(index) == game.batch_hash and \
        staticcall self.inbox.landings(index) == game.landing


@external
@view
def game_of_batch(index: uint256) -> uint256:
    """@notice The game of the batch now at `index` (0: none)."""
    return self.game_of[self._game_key(staticcall self.inbox.batch_hash(index),
                                       staticcall self.inbox.landings(index))]


@internal
@view
def _live_game(game_id: uint256, batch_hash: bytes32) -> Game:
    game: Game = self.games[game_id]
    assert game.status != STATUS_NONE, "DisputeGame: no such game"
    assert game.status == STATUS_OPEN, "DisputeGame: the game is resolved"
    # Bound to the header: after an L1 reorg or a removal, a move meant for one batch can
    # never land in the game of another.
    assert batch_hash == game.batch_hash, (
        "DisputeGame: the move names another batch header than the game's"
    )
    assert self._batch_live(game), "DisputeGame: the game's batch is no longer in the inbox"
    return game


@internal
@view
def _check_step_root(game_id: uint256, parent_index: uint256, parent: Claim, claim: bytes32,
                     is_attack: bool):
    """The root of a step subgame claims the final state of the disputed block's trace: it
    must differ from keccak(abi(6, disputed output)) when the mover disputes that output,
    and equal it when the disputed output is the mover's own side's claim."""
    if is_attack:
        assert claim != keccak256(abi_encode(PHASE_DONE, parent.claim)), (
            "DisputeGame: a step subgame root attacking an output must not end in it"
        )
        return
    disputed: uint256 = self._find_ancestor(game_id, parent.position + 1, parent_index)
    disputed_claim: Claim = self._load(game_id, disputed)
    final: bytes32 = keccak256(abi_encode(PHASE_DONE, disputed_claim.claim))
    if self._depth(disputed_claim.position) % 2 == SPLIT_DEPTH % 2:
        assert claim != final, (
            "DisputeGame: a step subgame root disputing an output must not end in it"
        )
    else:
        assert claim == final, (
            "DisputeGame: a step subgame root agreeing with an output must end in it"
        )


@internal
def _move(game_id: uint256, game: Game, parent_index: uint256, disputed: bytes32,
          claim: bytes32, is_attack: bool, bond: uint256):
    assert parent_index < game.claim_count, "DisputeGame: no such claim"
    parent: Claim = self._load(game_id, parent_index)
    assert parent.claim == disputed, "DisputeGame: the disputed claim differs"
    depth: uint256 = self._depth(parent.position) + 1
    if not is_attack:
        assert parent_index != 0, "DisputeGame: the root claim can only be attacked"
        assert depth != SPLIT_DEPTH + 2, "DisputeGame: a step subgame's root can only be attacked"
    assert depth <= self.max_game_depth, "DisputeGame: a claim at the max depth is countered by step"
    position: uint256 = 2 * parent.position
    if not is_attack:
        position = 2 * (parent.position + 1)
    if depth == SPLIT_DEPTH + 1:
        self._check_step_root(game_id, parent_index, parent, claim, is_attack)
    required: uint256 = self._bond(depth)
    assert bond == required, concat("DisputeGame: the bond at this depth is ", uint2str(required),
                                    " wei")
    duration: uint256 = 0
    if parent_index == 0:
        # The root's clock is the challenge window, whatever a game opened early has used: a
        # game the signers open themselves at landing cannot shorten the time others have to
        # attack. Each attack on the root starts its side's clock afresh.
        assert block.timestamp < game.landed_at + staticcall self.inbox.challenge_window(), (
            "DisputeGame: the batch's challenge window is over"
        )
    else:
        duration = self._challenger_duration(game_id, parent_index)
        assert duration < self.max_clock_duration, (
            "DisputeGame: the clock to counter that claim ran out"
        )
        if duration > self.max_clock_duration - self.clock_extension:
            duration = self.max_clock_duration - self.clock_extension
    key: bytes32 = keccak256(abi_encode(game_id, claim, position, parent_index))
    assert not self.claim_made[key], "DisputeGame: the same claim is already made there"
    self.claim_made[key] = True
    index: uint256 = game.claim_count
    self._save(game_id, index, Claim(
        parent_index=parent_index,
        countered_by=empty(address),
        claimant=msg.sender,
        bond=bond,
        claim=claim,
        position=position,
        clock_duration=duration,
        clock_timestamp=block.timestamp,
    ))
    self.games[game_id].claim_count = index + 1
    children: uint256 = self.child_count[game_id][parent_index]
    self.children[game_id][parent_index][children] = index
    self.child_count[game_id][parent_index] = children + 1
    log Move(game_id=game_id, parent_index=parent_index, claimant=msg.sender, claim_index=index,
             claim=claim, position=position)


@external
@payable
def open(batch_index: uint256, batch_hash: bytes32, claim: bytes32) -> uint256:
    """
    @notice Dispute the output root of batch `batch_index` (header hash `batch_hash`) within
            its challenge window: the root claim is the batch's output root, held by its
            signers; this call attacks it (position 2) with `claim`, the challenger's output
            root after block 2^(SPLIT_DEPTH - 1) - 1 of the batch (the midpoint), bonded with
            `required_bond(1)`.
    @return The game id; later challengers attack the root in this game with `move`.
    """
    assert batch_index < staticcall self.inbox.next_index() and \
        staticcall self.inbox.batch_hash(batch_index) == batch_hash, (
            "DisputeGame: no batch with that header at that index"
        )
    landed: uint256 = staticcall self.inbox.landed_at(batch_index)
    landing: uint256 = staticcall self.inbox.landings(batch_index)
    key: bytes32 = self._game_key(batch_hash, landing)
    existing: uint256 = self.game_of[key]
    assert existing == 0, concat("DisputeGame: that batch is already disputed in game ",
                                 uint2str(existing))
    assert block.timestamp < landed + staticcall self.inbox.challenge_window(), (
        "DisputeGame: the batch's challenge window is over"
    )
    start: bytes32 = self.genesis_output_root
    if batch_index > 0:
        start = staticcall self.inbox.output_roots(batch_index - 1)
    game_id: uint256 = self.game_count + 1
    self.game_count = game_id
    self.game_of[key] = game_id
    root: bytes32 = staticcall self.inbox.output_roots(batch_index)
    game: Game = Game(
        batch_index=batch_index,
        batch_hash=batch_hash,
        landed_at=landed,
        root_claim=root,
        start_root=start,
        inputs_root=staticcall self.inbox.inputs_roots(batch_index),
        block_count=staticcall self.inbox.batch_block_count(batch_index),
        claim_count=1,
        status=STATUS_OPEN,
        landing=landing,
    )
    self.games[game_id] = game
    self._save(game_id, 0, Claim(
        parent_index=0,
        countered_by=empty(address),
        claimant=empty(address),
        bond=0,
        claim=root,
        position=1,
        clock_duration=0,
        clock_timestamp=block.timestamp,
    ))
    log GameOpened(game_id=game_id, batch_index=batch_index, batch_hash=batch_hash,
                   root_claim=root, challenger=msg.sender)
    self._move(game_id, game, 0, root, claim, True, msg.value)
    return game_id


@external
@payable
def move(game_id: uint256, batch_hash: bytes32, parent_index: uint256, disputed: bytes32,
         claim: bytes32, is_attack: bool):
    """
    @notice Counter claim `parent_index` (whose value must be `disputed`) with `claim`:
            an attack (position 2p) or a defence (position 2(p + 1)), bonded with
            `required_bond(depth)`.
    """
    game: Game = self._live_game(game_id, batch_hash)
    self._move(game_id, game, parent_index, disputed, claim, is_attack, msg.value)


# ---------------------------------------------------------------- the leaf


@internal
@view
def _first_state(game_id: uint256, game: Game, leaf_index: uint256) -> bytes32:
    """The first state of the trace the step subgame above `leaf_index` bisects:
    keccak(abi(1, start output, inputs_root, k)) for block k of the batch, or, for a position
    past the batch's last block, keccak(abi(6, start output)) (nothing left to run)."""
    index: uint256 = leaf_index
    step_root: uint256 = leaf_index
    for _: uint256 in range(MAX_DEPTH_BOUND):
        if self._depth(self._position(game_id, index)) <= SPLIT_DEPTH:
            break
        step_root = index
        index = self._parent(game_id, index)
    output: Claim = self._load(game_id, index)
    start: bytes32 = empty(bytes32)
    k: uint256 = 0
    if self._position(game_id, step_root) == 2 * output.position:
        # The subgame attacked the output leaf: the disputed block is its trace index.
        k = self._trace_index(output.position, SPLIT_DEPTH, SPLIT_DEPTH)
        if k == 0:
            start = game.start_root
        else:
            start = self.stored[game_id][
                self._find_ancestor(game_id, output.position - 1, index)
            ].claim
    else:
        # It defended the output leaf: the disputed block is the next one.
        k = self._trace_index(output.position, SPLIT_DEPTH, SPLIT_DEPTH) + 1
        start = output.claim
    if k >= game.block_count:
        return keccak256(abi_encode(PHASE_DONE, start))
    return keccak256(abi_encode(PHASE_BLOCK_START, start, game.inputs_root, k))


@external
def step(game_id: uint256, batch_hash: bytes32, claim_index: uint256, is_attack: bool,
         witness: Bytes[MAX_WITNESS]):
    """
    @notice Counter claim `claim_index` at the max depth by running one step on chain: an
            attack runs from the state before it to it, a defence from it to the state after.
            The step verifier reverts if `witness` does not match the pre-state.
    """
    game: Game = self._live_game(game_id, batch_hash)
    assert claim_index < game.claim_count, "DisputeGame: no such claim"
    parent: Claim = self._load(game_id, claim_index)
    max_depth: uint256 = self.max_game_depth
    assert self._depth(parent.position) == max_depth, (
        "DisputeGame: only a claim at the max depth is countered by step"
    )
    assert parent.countered_by == empty(address), "DisputeGame: the claim is already stepped on"
    pre: bytes32 = empty(bytes32)
    post_index: uint256 = claim_index
    if is_attack:
        step_position: uint256 = 2 * parent.position
        if step_position % (1 << (max_depth - SPLIT_DEPTH)) == 0:
            pre = self._first_state(game_id, game, claim_index)
        else:
            pre = self.stored[game_id][
                self._find_ancestor(game_id, parent.position - 1, parent.parent_index)
            ].claim
    else:
        pre = parent.claim
        post_index = self._find_ancestor(game_id, parent.position + 1, parent.parent_index)
    post_claim: bytes32 = self.stored[game_id][post_index].claim
    post_depth: uint256 = self._depth(self._position(game_id, post_index))
    result: bytes32 = staticcall self.verifier.step(pre, witness)
    valid: bool = result == post_claim
    parent_post_agree: bool = (max_depth - post_depth) % 2 == 0
    assert parent_post_agree != valid, "DisputeGame: the step does not counter the claim"
    self.stored[game_id][claim_index].countered_by = msg.sender
    log Stepped(game_id=game_id, claim_index=claim_index, stepper=msg.sender)


# ---------------------------------------------------------------- resolution


@external
def resolve_claim(game_id: uint256, claim_index: uint256, num_to_resolve: uint256):
    """
    @notice Resolve the subgame rooted at `claim_index` once every child's subgame is resolved
            and the clock of a counter to it ran out, looking at up to `num_to_resolve`
            children (0 or above MAX_RESOLVE_CHUNK: MAX_RESOLVE_CHUNK) per call. The bond of a
            countered claim is credited to the leftmost uncountered child's claimant (or the
            stepper), an uncountered claim's bond to its claimant.
    """
    game: Game = self.games[game_id]
    assert game.status != STATUS_NONE, "DisputeGame: no such game"
    # A void game keeps refunding claims after resolve(): whoever calls resolve() first must
    # not strand the bonds of claims nobody had resolved yet.
    assert game.status == STATUS_OPEN or game.status == STATUS_VOID, (
        "DisputeGame: the game is resolved"
    )
    assert claim_index < game.claim_count, "DisputeGame: no such claim"
    assert not self.resolved[game_id][claim_index], "DisputeGame: the claim is already resolved"
    if game.status == STATUS_VOID or not self._batch_live(game):
        # Void: the batch is gone, nothing is decided; the claim's bond goes back.
        stored: StoredClaim = self.stored[game_id][claim_index]
        self.credit[convert(convert(stored.claimant_bond & convert(max_value(uint160), uint256),
                                    uint160), address)] += stored.claimant_bond >> 160
        self.resolved[game_id][claim_index] = True
        return
    assert self._challenger_duration(game_id, claim_index) >= self.max_clock_duration, (
        "DisputeGame: the clock to counter that claim has not run out"
    )
    if claim_index == 0:
        assert block.timestamp >= game.landed_at + staticcall self.inbox.challenge_window(), (
            "DisputeGame: the root may be attacked until the batch's challenge window is over"
        )
    subject: Claim = self._load(game_id, claim_index)
    count: uint256 = self.child_count[game_id][claim_index]
    if count == 0:
        recipient: address = subject.countered_by
        if recipient == empty(address):
            recipient = subject.claimant
        self.credit[recipient] += subject.bond
        self.resolved[game_id][claim_index] = True
        return
    checkpoint: Checkpoint = self.checkpoints[game_id][claim_index]
    if not checkpoint.started:
        checkpoint.started = True
        checkpoint.leftmost = max_value(uint256)
    chunk: uint256 = num_to_resolve
    if chunk == 0 or chunk > MAX_RESOLVE_CHUNK:
        chunk = MAX_RESOLVE_CHUNK
    last: uint256 = min(checkpoint.cursor + chunk, count)
    for i: uint256 in range(checkpoint.cursor, last, bound=MAX_RESOLVE_CHUNK):
        child_index: uint256 = self.children[game_id][claim_index][i]
        assert self.resolved[game_id][child_index], (
            "DisputeGame: resolve the claim's children first"
        )
        child: StoredClaim = self.stored[game_id][child_index]
        position: uint256 = child.meta & MASK64
        if child.countered_by == empty(address) and position < checkpoint.leftmost:
            checkpoint.countered_by = convert(convert(
                child.claimant_bond & convert(max_value(uint160), uint256), uint160), address)
            checkpoint.leftmost = position
    checkpoint.cursor = last
    self.checkpoints[game_id][claim_index] = checkpoint
    if last < count:
        return
    self.resolved[game_id][claim_index] = True
    self.stored[game_id][claim_index].countered_by = checkpoint.countered_by
    recipient: address = checkpoint.countered_by
    if recipient == empty(address):
        recipient = subject.claimant
    if subject.bond > 0:
        self.credit[recipient] += subject.bond


@external
@nonreentrant
def resolve(game_id: uint256, signers: DynArray[address, MAX_SIGNERS]) -> uint8:
    """
    @notice Decide the game once the root claim's subgame is resolved. Root uncountered:
            defended (3). Root countered: lost (2): the inbox removes the batch and every
            later one, and every signer of its header (the ascending `signers` list, checked
            against the inbox's record) loses the pool's dispute slash share, credited in
            tokens to the root's winner together with a fallback batch's bond. `signers` is
            ignored for a defended root. A game whose batch already left the inbox is void (4).
    """
    game: Game = self.games[game_id]
    assert game.status != STATUS_NONE, "DisputeGame: no such game"
    assert game.status == STATUS_OPEN, "DisputeGame: the game is resolved"
    if not self._batch_live(game):
        # An earlier batch's loss removed this one: its start output was not agreed, so
        # nothing is judged; resolve_claim returns every bond to its claimant.
        self.games[game_id].status = STATUS_VOID
        log GameResolved(game_id=game_id, batch_index=game.batch_index, status=STATUS_VOID,
                         winner=empty(address), slashed=0, fallback_bond=0)
        return STATUS_VOID
    assert self.resolved[game_id][0], "DisputeGame: the root claim is not resolved yet"
    winner: address = self.stored[game_id][0].countered_by
    if winner == empty(address):
        self.games[game_id].status = STATUS_DEFENDED
        log GameResolved(game_id=game_id, batch_index=game.batch_index, status=STATUS_DEFENDED,
                         winner=empty(address), slashed=0, fallback_bond=0)
        return STATUS_DEFENDED
    self.games[game_id].status = STATUS_LOST
    slashed: uint256 = 0
    index: uint256 = game.batch_index
    assert keccak256(abi_encode(signers)) == staticcall self.inbox.signers_hashes(index), (
        "DisputeGame: the signer list is not the batch's"
    )
    bond: uint256 = extcall self.inbox.remove_batches(index, game.batch_hash)
    if len(signers) > 0:
        slashed = extcall self.pool.slash_signers(signers)
    self.credit[winner] += bond
    self.token_credit[winner] += slashed
    log GameResolved(game_id=game_id, batch_index=index, status=STATUS_LOST, winner=winner,
                     slashed=slashed, fallback_bond=bond)
    return STATUS_LOST


@external
@view
def dispute_status(index: uint256, output_root: bytes32) -> uint8:
    """@notice The inbox's hook: 0 none, 1 open, 2 lost, 3 defended, for the batch now at
    `index` (its game is found by its header hash and landing number)."""
    game_id: uint256 = self.game_of[self._game_key(staticcall self.inbox.batch_hash(index),
                                                   staticcall self.inbox.landings(index))]
    if game_id == 0:
        return STATUS_NONE
    game: Game = self.games[game_id]
    if game.batch_index != index or game.root_claim != output_root or \
            game.status == STATUS_VOID:
        return STATUS_NONE
    return game.status


@external
@nonreentrant
def claim_credit(recipient: address):
    """@notice Pay `recipient` its credit (ETH bonds, and slashed stake in the pool's token).
    Anyone may call it; it pays only the recipient. Each part is paid on its own: a part whose
    transfer fails stays owed and does not hold back the other; it reverts only when nothing
    could be paid."""
    eth: uint256 = self.credit[recipient]
    tokens: uint256 = self.token_credit[recipient]
    assert eth > 0 or tokens > 0, "DisputeGame: no credit for that recipient"
    self.credit[recipient] = 0
    self.token_credit[recipient] = 0
    paid_tokens: uint256 = 0
    if tokens > 0:
        sent: bool = False
        answer: Bytes[32] = b""
        sent, answer = raw_call(self.token.address,
                                abi_encode(recipient, tokens,
                                           method_id=method_id("transfer(address,uint256)")),
                                max_outsize=32, revert_on_failure=False)
        if sent and (len(answer) == 0 or convert(answer, bool)):
            paid_tokens = tokens
        else:
            self.token_credit[recipient] = tokens
    paid_eth: uint256 = 0
    if eth > 0:
        if raw_call(recipient, b"", value=eth, revert_on_failure=False):
            paid_eth = eth
        else:
            self.credit[recipient] = eth
    if paid_eth == 0 and paid_tokens == 0:
        if eth > 0:
            raise "DisputeGame: ETH transfer failed"
        raise "DisputeGame: token transfer failed"
    log CreditClaimed(recipient=recipient, eth=paid_eth, tokens=paid_tokens)


@external
@payable
def __default__():
    """Receives the fallback bond of a disproved fallback batch from the inbox."""
    assert msg.sender == self.inbox.address, "DisputeGame: only the inbox sends ETH"
