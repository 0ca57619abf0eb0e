"""DisputeGame and RollupInbox as the challenger reads and drives them.

Everything is re-read from L1 at one block each round (no local game state), so a player that
restarts in the middle of a game sees exactly what it would have seen had it kept running. The
game contract is the one the inbox names (``RollupInbox.disputes``): nothing else to configure.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_keys import keys

from ordo.challenger.game_model import Claim, Game, GameRules
from ordo.challenger.solver import (
    Action,
    ClaimCredit,
    Move,
    Open,
    Resolve,
    ResolveClaim,
    Step,
)
from ordo.core.call import CallRequest
from ordo.derivation.inbox_batches import accepted_batch, batch_accepted_topic, decode_submit_batch
from ordo.l1.chain_records import L1Receipt, LogFilter
from ordo.l1.client import L1Client
from ordo.l1.compiler import compile_contract
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.contract_transactions import TransactionReverted, wait_for_success
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import game_at, inbox_at
from ordo.l1.rpc_errors import L1RpcError

UINT64_MASK = (1 << 64) - 1
RESOLVE_CHUNK = 0
"""resolve_claim's num_to_resolve: 0 is the contract's MAX_RESOLVE_CHUNK (256 children)."""


class NoDisputeGame(RuntimeError):
    """The inbox names no dispute game: there is nothing to play."""


@dataclass(frozen=True)
class LandedBatch:
    """A batch in the inbox, with the L2 blocks it carries."""

    index: int
    header_hash: bytes
    output_root: bytes
    inputs_root: bytes
    landed_at: int
    first_block: int
    block_count: int
    game_id: int
    """The game disputing this header (0: none)."""

    @property
    def last_block(self) -> int:
        return self.first_block + self.block_count - 1


@dataclass(frozen=True)
class L1Moment:
    block: int
    timestamp: int


class DisputeChain:
    """The inbox and its dispute game on one L1 endpoint."""

    def __init__(self, client: L1Client, inbox: bytes, inbox_deploy_block: int = 0) -> None:
        self.client = client
        self.inbox = inbox_at(client, inbox)
        self.inbox_deploy_block = inbox_deploy_block
        self._game: ContractHandle | None = None
        self._rules: GameRules | None = None

    async def game(self) -> ContractHandle:
        if self._game is None:
            address = bytes.fromhex(str(await self.inbox.call("disputes"))[2:])
            if address == bytes(20):
                raise NoDisputeGame(f"inbox 0x{self.inbox.address.hex()} names no dispute game")
            self._game = game_at(self.client, address)
        return self._game

    async def rules(self) -> GameRules:
        if self._rules is None:
            game = await self.game()
            max_depth, max_clock, extension, window = await asyncio.gather(
                game.call("max_game_depth"), game.call("max_clock_duration"),
                game.call("clock_extension"), self.inbox.call("challenge_window"))
            bonds = await asyncio.gather(*(game.call("required_bond", depth)
                                           for depth in range(1, int(max_depth) + 1)))
            self._rules = GameRules(int(max_depth), int(max_clock), int(extension),
                                    (0, *(int(bond) for bond in bonds)),
                                    challenge_window=int(window))
        return self._rules

    async def moment(self) -> L1Moment:
        block = await self.client.get_block("latest")
        if block is None:
            raise RuntimeError(f"L1 {self.client.url} has no latest block")
        return L1Moment(block.number, block.timestamp)

    # --- batches ------------------------------------------------------------------------------
    async def batch(self, index: int, block: int) -> LandedBatch:
        def ask(function: str, *arguments: Any) -> Any:
            return self.inbox.call(function, *arguments, block=block)

        header_hash, root, inputs, landed, record, previous = await asyncio.gather(
            ask("batch_hash", index), ask("output_roots", index), ask("inputs_roots", index),
            ask("landed_at", index), ask("batch_records", index),
            ask("batch_records", index - 1) if index > 0 else _zero())
        last = int(record) & UINT64_MASK
        first = (int(previous) & UINT64_MASK) + 1
        game_id = await self.game_id_of(index, bytes(header_hash), block)
        return LandedBatch(index, bytes(header_hash), bytes(root), bytes(inputs), int(landed),
                           first, last - first + 1, game_id)

    async def agreed_start(self, batch_index: int) -> bytes:
        """The output root the game of batch ``batch_index`` starts from (fault_proofs.md
        6.2): the previous batch's in the inbox, for batch 0 the game's genesis output root."""
        if batch_index == 0:
            return bytes(await (await self.game()).call("genesis_output_root"))
        return bytes(await self.inbox.call("output_roots", batch_index - 1))

    async def signers(self, batch_index: int, header_hash: bytes) -> list[bytes]:
        """The signers of header ``header_hash`` in the inbox's order (ascending): recovered
        from the submit_batch call that landed it, as the inbox did."""
        topics = (batch_index.to_bytes(32, "big"), header_hash)
        latest = await self.client.block_number()
        logs = await self.client.get_logs(LogFilter(
            self.inbox_deploy_block, latest, (self.inbox.address,),
            (batch_accepted_topic(), *topics)))
        if not logs:
            raise RuntimeError(f"no BatchAccepted event of batch {batch_index} header "
                               f"0x{header_hash.hex()} since L1 block {self.inbox_deploy_block}")
        accepted = accepted_batch(logs[-1])
        if accepted.fallback:
            return []
        answer = await self.client.request("eth_getTransactionByHash",
                                           ["0x" + accepted.l1_transaction.hex()])
        call_input = bytes.fromhex(str(answer["input"])[2:])
        submitted = decode_submit_batch(call_input)
        return [_recover(header_hash, signature) for signature in submitted.signatures]

    # --- games --------------------------------------------------------------------------------
    async def game_count(self, block: int) -> int:
        return int(await (await self.game()).call("game_count", block=block))

    async def game_id_of(self, batch_index: int, header_hash: bytes, block: int) -> int:
        """The game of the batch now at ``batch_index`` (0: none). A game is keyed by the
        header and, where the contract records it, the landing (``game_of_batch``)."""
        game = await self.game()
        if "game_of_batch" in game.abi.functions:
            return int(await game.call("game_of_batch", batch_index, block=block))
        return int(await game.call("game_of", header_hash, block=block))

    async def _game_fields(self, game_id: int, block: int) -> dict[str, Any]:
        raw = await (await self.game()).call("games", game_id, block=block)
        return dict(zip(_game_field_names(), raw, strict=True))

    async def game_status(self, game_id: int, block: int) -> int:
        return int((await self._game_fields(game_id, block))["status"])

    async def read_game(self, game_id: int, block: int) -> Game:
        game = await self.game()
        fields = await self._game_fields(game_id, block)
        count = int(fields["claim_count"])
        claims_raw, resolved = await asyncio.gather(
            asyncio.gather(*(game.call("claims", game_id, i, block=block) for i in range(count))),
            asyncio.gather(*(game.call("resolved", game_id, i, block=block)
                             for i in range(count))))
        claims = tuple(_claim(i, value, bool(done))
                       for i, (value, done) in enumerate(zip(claims_raw, resolved, strict=True)))
        return Game(game_id, int(fields["batch_index"]), bytes(fields["batch_hash"]),
                    bytes(fields["root_claim"]), bytes(fields["start_root"]),
                    bytes(fields["inputs_root"]), int(fields["block_count"]),
                    int(fields["status"]), claims, int(fields.get("landed_at", 0)))

    async def credits(self, player: bytes, block: int) -> tuple[int, int]:
        game = await self.game()
        eth, tokens = await asyncio.gather(game.call("credit", player, block=block),
                                           game.call("token_credit", player, block=block))
        return int(eth), int(tokens)

    async def batch_still_landed(self, game: Game) -> bool:
        """The inbox still holds the game's batch (the same landing, where the game records
        it): else the game is void, nothing to play."""
        count = int(await self.inbox.call("next_index"))
        if game.batch_index >= count:
            return False
        if bytes(await self.inbox.call("batch_hash", game.batch_index)) != game.batch_hash:
            return False
        return game.landed_at == 0 or \
            int(await self.inbox.call("landed_at", game.batch_index)) == game.landed_at

    # --- sending ------------------------------------------------------------------------------
    async def send(self, account: LocalAccount, action: Action,
                   timeout: float = 60.0) -> L1Receipt:
        """Send ``action`` from ``account`` and wait for its successful receipt. A revert found
        while estimating gas raises L1RpcError with the reason, before anything is sent."""
        game = await self.game()
        function, arguments, value = await self._call_of(action)
        sent = await game.transact(account, function, *arguments, value=value)
        try:
            return await wait_for_success(game, account, function, sent.tx_hash,
                                          timeout=timeout)
        except TransactionReverted as error:
            # Usually another player's same move landed first in the block: say why, from the
            # state after that block.
            reason = await self._reason_after(game, account, function, arguments, value,
                                              error.receipt.block_number)
            raise TransactionReverted(f"{error}: {reason}", error.tx_hash, error.receipt) \
                from error

    async def _reason_after(self, game: ContractHandle, account: LocalAccount, function: str,
                            arguments: tuple[Any, ...], value: int, block: int) -> str:
        try:
            await self.client.call(CallRequest(sender=account.address, to=game.address,
                                               value=value,
                                               data=game.encode_call(function, *arguments)),
                                   block)
        except L1RpcError as error:
            return error.revert_reason or error.message
        return "no revert when replayed after its block"

    async def _call_of(self, action: Action) -> tuple[str, tuple[Any, ...], int]:
        if isinstance(action, Open):
            return "open", (action.batch_index, action.batch_hash, action.claim), action.bond
        if isinstance(action, Move):
            return "move", (action.game_id, action.batch_hash, action.parent_index,
                            action.disputed, action.claim, action.is_attack), action.bond
        if isinstance(action, Step):
            return "step", (action.game_id, action.batch_hash, action.claim_index,
                            action.is_attack, action.witness), 0
        if isinstance(action, ResolveClaim):
            return "resolve_claim", (action.game_id, action.claim_index, RESOLVE_CHUNK), 0
        if isinstance(action, Resolve):
            signers: list[bytes] = []
            if action.root_lost:
                game = await self.read_game(action.game_id, await self.client.block_number())
                if await self.batch_still_landed(game):
                    signers = await self.signers(game.batch_index, game.batch_hash)
            return "resolve", (action.game_id, signers), 0
        if isinstance(action, ClaimCredit):
            return "claim_credit", (action.recipient,), 0
        raise TypeError(f"not an action: {action!r}")


@cache
def _game_field_names() -> tuple[str, ...]:
    """The fields of DisputeGame's ``Game`` struct, in the order ``games()`` returns them."""
    for entry in compile_contract("DisputeGame").abi:
        if entry.get("type") == "function" and entry.get("name") == "games":
            return tuple(str(part["name"]) for part in entry["outputs"][0]["components"])
    raise RuntimeError("DisputeGame's ABI has no games() view")


async def _zero() -> int:
    return 0


def _claim(index: int, raw: Any, resolved: bool) -> Claim:
    return Claim(index, int(raw[0]), _address(raw[1]), _address(raw[2]), int(raw[3]),
                 bytes(raw[4]), int(raw[5]), int(raw[6]), int(raw[7]), resolved)


def _address(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value)[2:])


def _recover(digest: bytes, signature: bytes) -> bytes:
    """The signer of ``digest`` as the inbox's ecrecover sees it (r ‖ s ‖ parity 0/1)."""
    r, s, parity = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), \
        signature[64]
    public = keys.Signature(vrs=(parity, r, s)).recover_public_key_from_msg_hash(digest)
    return public.to_canonical_address()
