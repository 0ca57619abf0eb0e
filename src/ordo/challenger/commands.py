"""``ordo challenger`` (the honest player as a standalone process: no stake, only an L1 key for
bonds) and ``ordo dispute`` (list, show and play games by hand).

Endpoints and the inbox come from ``--devnet DIR`` or a node's ``--config`` as for ``ordo
bridge``, or from ``--l1-rpc``/``--l2-rpc`` with ``--inbox ADDR``; the dispute game is the one
the inbox names. L2 (for honest values) is a node's RPC or, with ``--l2-data DIR``, a chain
derived from L1 alone. ``--json`` prints one JSON object; errors are one ``error:`` line (exit
2 for a wrong option, 1 for a refusal or a failed endpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from ordo.challenger.game_model import STATUS_NAMES, ZERO_ADDRESS, Game, GameRules
from ordo.challenger.honest_trace import BatchTrace, StepTraceUnavailable
from ordo.challenger.l1_game import DisputeChain, NoDisputeGame
from ordo.challenger.node_steps import queue_through_head
from ordo.challenger.positions import attack_position, defend_position, depth
from ordo.challenger.rpc_steps import rpc_steps
from ordo.challenger.service import DEFAULT_INTERVAL_S, ChallengerService, prepare_steps
from ordo.challenger.solver import (
    Action,
    ClaimCredit,
    Move,
    Open,
    Resolve,
    ResolveClaim,
    Step,
    honest_flags,
    resolutions,
)
from ordo.challenger.trace_source import (
    L2TraceSource,
    OutputSource,
    StepTraceFactory,
    missing_steps,
)
from ordo.config.node_config import ConfigError
from ordo.core.genesis import Genesis, dev_private_keys
from ordo.keys.keystore_unlock import unlock_keystore
from ordo.keys.password_source import PasswordError, PasswordSource
from ordo.l1.client import ClientConfig, L1Client
from ordo.l1.forced_queue_reader import ForcedQueueReader
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1Error
from ordo.metrics.json_log_lines import configure_logging
from ordo.operator.network_init import parse_hex_address
from ordo.settlement.bridge_target import resolve_bridge_target
from ordo.settlement.l2_readers import L2Unavailable, RpcL2Reader, derived_reader

T = TypeVar("T")
log = logging.getLogger(__name__)
EXIT_FAILED = 1
EXIT_CONFIG = 2
CLIENT = ClientConfig(request_timeout=20.0, max_attempts=3)


@dataclass(frozen=True)
class Target:
    l1_rpc: str
    l2_rpc: str | None
    inbox: bytes
    inbox_deploy_block: int
    genesis_path: Path | None


def _target(options: dict[str, Any]) -> Target:
    if options["inbox"] is not None:
        if options["l1_rpc"] is None:
            raise ConfigError("l1-rpc: not given; --inbox needs --l1-rpc URL")
        return Target(options["l1_rpc"], options["l2_rpc"],
                      parse_hex_address("inbox", options["inbox"]), options["from_block"],
                      options["genesis"])
    found = resolve_bridge_target(options["devnet"], options["l1_rpc"], options["l2_rpc"],
                                  options["config_path"], options["genesis"])
    return Target(found.l1_rpc, found.l2_rpc, found.inbox, found.inbox_deploy_block,
                  found.genesis_path)


def _endpoint_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--devnet", type=click.Path(path_type=Path), default=None,
                     help="A devnet's data dir (or its devnet.json): endpoints and contracts."),
        click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
                     help="A node's config.toml (ordo init): its L1 and genesis."),
        click.option("--l1-rpc", default=None, metavar="URL", help="L1 JSON-RPC URL."),
        click.option("--l2-rpc", default=None, metavar="URL",
                     help="Ordo node JSON-RPC URL: where honest output roots are read."),
        click.option("--inbox", default=None, metavar="ADDR",
                     help="The RollupInbox (with --l1-rpc) [default: from --devnet/--config]."),
        click.option("--from-block", type=click.IntRange(0), default=0,
                     help="L1 block the inbox was deployed in (with --inbox): where its "
                          "events start."),
        click.option("--genesis", type=click.Path(path_type=Path), default=None,
                     help="The L2 genesis.json (for --l2-data)."),
        click.option("--l2-data", type=click.Path(path_type=Path), default=None,
                     help="Read L2 from a chain derived from L1 alone into this directory "
                          "instead of a node."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
    ]):
        function = option(function)
    return function


def _key_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--key", "key_path", type=click.Path(path_type=Path), default=None,
                     help="Keystore of the L1 account that bonds and sends (ordo keys new)."),
        click.option("--password-file", type=click.Path(path_type=Path), default=None,
                     help="File whose first line unlocks --key [default: prompt]."),
        click.option("--password-env", metavar="NAME", default=None,
                     help="Environment variable holding the password of --key."),
        click.option("--dev-account", type=click.IntRange(0, 9), default=None, metavar="N",
                     help="Public development account N (0-9), for a local L1 only."),
    ]):
        function = option(function)
    return function


def _key(options: dict[str, Any]) -> bytes:
    if options["dev_account"] is not None:
        if options["key_path"] is not None:
            raise ConfigError("key: give --key or --dev-account, not both")
        return dev_private_keys()[options["dev_account"]]
    if options["key_path"] is None:
        raise ConfigError("key: not given; pass --key FILE (a keystore from ordo keys new)")
    source = PasswordSource(options["password_file"], options["password_env"])
    return unlock_keystore(options["key_path"], source)


@contextlib.asynccontextmanager
async def _outputs(target: Target, options: dict[str, Any]) -> AsyncIterator[OutputSource | None]:
    """The L2 output source the options name, or None (the CLI then shows no honest view)."""
    data_dir: Path | None = options["l2_data"]
    if data_dir is not None:
        if target.genesis_path is None:
            raise ConfigError("l2-data: deriving L2 needs its genesis; pass --genesis FILE")
        async with derived_reader(target.l1_rpc, target.inbox, Genesis.load(target.genesis_path),
                                  data_dir, target.inbox_deploy_block) as reader:
            yield reader
        return
    if target.l2_rpc is None:
        yield None
        return
    async with L1Client(target.l2_rpc, CLIENT) as l2:
        yield RpcL2Reader(l2)


def _run(options: dict[str, Any], action: Callable[[DisputeChain, OutputSource | None],
                                                    Coroutine[Any, Any, T]]) -> T:
    target = _or_exit(lambda: _target(options), EXIT_CONFIG)

    async def run() -> T:
        async with L1Client(target.l1_rpc, CLIENT) as l1, _outputs(target, options) as outputs:
            return await action(DisputeChain(l1, target.inbox, target.inbox_deploy_block),
                                outputs)

    return _or_exit(lambda: asyncio.run(run()), EXIT_FAILED)


# ------------------------------------------------------------------------ ordo challenger


@click.command(name="challenger")
@_endpoint_options
@_key_options
@click.option("--interval", type=click.FloatRange(0.1), default=DEFAULT_INTERVAL_S,
              show_default=True, help="Seconds between looks at L1.")
@click.option("--verify-outputs", is_flag=True,
              help="Judge a batch only after tracing every block of it from the start L1 "
                   "agreed: the L2 RPC's output roots are then checked by execution, not "
                   "trusted (needs the genesis).")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@click.option("--log-format", default="text", show_default=True,
              type=click.Choice(["text", "json"]))
def challenger_command(interval: float, verify_outputs: bool, log_level: str,
                       log_format: Any, **options: Any) -> None:
    """Play every dispute game of the network for the honest chain: dispute each landed batch
    whose output root is wrong, defend each right one, step, resolve and claim the bonds.
    Needs an L2 source (--l2-rpc, --devnet or --l2-data) and an L1 key with ETH for bonds."""
    configure_logging(log_level, log_format)
    if options["l2_data"] is not None:
        _fail("l2-data: a chain derived from L1 stops at the first batch that does not derive, "
              "which is the one to dispute; pass --l2-rpc URL of an Ordo node (or run a node: "
              "its challenger is on by default)", EXIT_CONFIG)
    key = _or_exit(lambda: _key(options), EXIT_CONFIG)

    genesis = _or_exit(lambda: _genesis(_target(options)), EXIT_CONFIG)
    if verify_outputs and genesis is None:
        _fail("verify-outputs: checking output roots by execution needs the chain's genesis; "
              "pass --genesis FILE (or --devnet DIR, --config FILE)", EXIT_CONFIG)

    async def run(chain: DisputeChain, outputs: OutputSource | None) -> None:
        if outputs is None:
            raise ConfigError("l2-rpc: the challenger needs the honest chain; pass --l2-rpc "
                              "URL, --devnet DIR or --l2-data DIR")
        steps = await _steps(chain, outputs, genesis)
        if verify_outputs and steps is missing_steps:
            raise ConfigError("verify-outputs: output roots are checked by tracing blocks read "
                              "from an L2 RPC; pass --l2-rpc URL")
        service = ChallengerService(chain, LocalAccount(chain.client, key),
                                    L2TraceSource(outputs, steps, verify_outputs), interval)
        await chain.game()
        await service.run()

    with contextlib.suppress(KeyboardInterrupt):
        _run(options, run)


def _genesis(target: Target) -> Genesis | None:
    if target.genesis_path is None:
        return None
    try:
        return Genesis.load(target.genesis_path)
    except (OSError, ValueError) as error:
        raise ConfigError(f"genesis: {target.genesis_path}: {error}") from error


async def _steps(chain: DisputeChain, outputs: OutputSource,
                 genesis: Genesis | None) -> StepTraceFactory:
    """The step half: the whole-block tracer over data from the L2 RPC, each piece checked
    (``rpc_steps``); it needs the chain's genesis (its rules, its forced queue)."""
    if not isinstance(outputs, RpcL2Reader):
        return missing_steps
    if genesis is None:
        log.warning("challenger: no genesis (--genesis FILE, --devnet or --config): the step "
                    "half of a game cannot be played, only the output half")
        return missing_steps
    try:
        chain_id = int(await outputs.client.request("eth_chainId", []), 16)
    except (L1Error, OSError, TimeoutError, ValueError, TypeError) as error:
        log.warning("challenger: cannot read the L2 RPC's chain id now (%s); its blocks are "
                    "checked against the batches anyway", error)
        chain_id = genesis.chain_id
    if chain_id != genesis.chain_id:
        raise ConfigError(f"genesis: chain id {genesis.chain_id}, but the L2 RPC "
                          f"{outputs.client.url} serves chain {chain_id}")
    queue = None
    if genesis.l1 is not None and genesis.l1.forced_queue is not None:
        queue = queue_through_head(ForcedQueueReader(chain.client, genesis.l1.forced_queue),
                                   chain.client)
    return rpc_steps(outputs, genesis, queue, chain.agreed_start)


# ------------------------------------------------------------------------ ordo dispute


@click.group(name="dispute")
def dispute_group() -> None:
    """See and play the dispute games of the network's inbox by hand."""


@dispute_group.command(name="list")
@_endpoint_options
@click.option("--all", "show_all", is_flag=True, help="Resolved games too.")
def list_command(show_all: bool, **options: Any) -> None:
    """The games, open ones first: batch, status, claims and when each can be resolved."""

    async def run(chain: DisputeChain, _: OutputSource | None) -> dict[str, Any]:
        rules = await chain.rules()
        moment = await chain.moment()
        games = []
        for game_id in range(await chain.game_count(moment.block), 0, -1):
            if not show_all and await chain.game_status(game_id, moment.block) != 1:
                continue
            game = await chain.read_game(game_id, moment.block)
            games.append(_game_json(game, rules, moment.timestamp))
        return {"l1Block": moment.block, "l1Time": moment.timestamp, "games": games}

    document = _run(options, run)
    _print(options, document, "\n".join(
        f"game {game['gameId']}: batch {game['batchIndex']} {game['status']}, "
        f"{game['claims']} claims, resolvable in {game['secondsToResolve']} s"
        for game in document["games"]) or "no open games")


@dispute_group.command(name="show")
@click.argument("game_id", type=click.IntRange(1))
@_endpoint_options
def show_command(game_id: int, **options: Any) -> None:
    """Game GAME_ID and every claim: position, value, who made it, its clock, and with an L2
    source whether the honest chain agrees (step claims too, with --l2-rpc and the genesis)."""
    genesis = _or_exit(lambda: _genesis(_target(options)), EXIT_CONFIG)

    async def run(chain: DisputeChain, outputs: OutputSource | None) -> dict[str, Any]:
        rules = await chain.rules()
        moment = await chain.moment()
        game = await _existing_game(chain, game_id, moment.block)
        trace = await _trace(chain, game, rules, moment.block, outputs, genesis)
        flags = None if trace is None else honest_flags(game, trace, rules)
        document = _game_json(game, rules, moment.timestamp)
        document["claimList"] = [
            {"index": claim.index, "parent": claim.parent_index, "depth": claim.depth,
             "position": claim.position, "value": _hex(claim.value),
             "claimant": _hex(claim.claimant), "bond": str(claim.bond),
             "counteredBy": None if claim.countered_by == ZERO_ADDRESS else
             _hex(claim.countered_by), "resolved": claim.resolved,
             "secondsToCounter": game.seconds_to_counter(claim.index, moment.timestamp, rules),
             "honest": None if flags is None else flags[claim.index]}
            for claim in game.claims]
        if trace is not None:
            document["side"] = "defender" if game.root_claim == trace.root else "challenger"
        return document

    document = _run(options, run)
    lines = [f"game {document['gameId']}: batch {document['batchIndex']} "
             f"{document['status']}, root {document['rootClaim']}"]
    for claim in document["claimList"]:
        honest = {None: "", True: " honest", False: " dishonest"}[claim["honest"]]
        lines.append(f"  #{claim['index']} <- #{claim['parent']} depth {claim['depth']} "
                     f"pos {claim['position']} {claim['value']} by {claim['claimant']}"
                     f"{honest}, {claim['secondsToCounter']} s to counter"
                     f"{', countered' if claim['counteredBy'] else ''}")
    _print(options, document, "\n".join(lines))


@dispute_group.command(name="open")
@click.argument("batch_index", type=click.IntRange(0))
@click.option("--value", default=None, metavar="HEX",
              help="The 32-byte output root to attack the batch's root with (the output "
                   "after the batch's middle block) [default: the honest chain's].")
@_endpoint_options
@_key_options
def open_command(batch_index: int, value: str | None, **options: Any) -> None:
    """Dispute the output root of landed batch BATCH_INDEX within its challenge window,
    bonding the depth-1 bond from --key."""
    key = _or_exit(lambda: _key(options), EXIT_CONFIG)
    chosen = None if value is None else _or_exit(lambda: _bytes32("value", value), EXIT_CONFIG)

    async def run(chain: DisputeChain, outputs: OutputSource | None) -> dict[str, Any]:
        rules = await chain.rules()
        moment = await chain.moment()
        count = int(await chain.inbox.call("next_index", block=moment.block))
        if batch_index >= count:
            raise ConfigError(f"batch: {batch_index} has not landed (batches 0..{count - 1})")
        batch = await chain.batch(batch_index, moment.block)
        claim = chosen
        if claim is None:
            trace = None if outputs is None else \
                await L2TraceSource(outputs).batch_trace(batch, rules.max_step_depth)
            if trace is None:
                raise ConfigError("value: not given and no L2 source holds the batch's "
                                  "blocks; pass --value HEX or --l2-rpc URL")
            claim = trace.value(attack_position(1), rules.max_game_depth)
        document = await _send(chain, key, Open(batch_index, batch.header_hash, claim,
                                                rules.bond(1)))
        game_id = await chain.game_id_of(batch_index, batch.header_hash,
                                         await chain.client.block_number())
        return {**document, "gameId": game_id}

    document = _run(options, run)
    _print(options, document, f"opened game {document['gameId']} in L1 block "
                              f"{document['l1Block']} (transaction {document['txHash']})")


@dispute_group.command(name="move")
@click.argument("game_id", type=click.IntRange(1))
@click.option("--claim", "claim_index", type=click.IntRange(0), required=True,
              help="Index of the claim to counter.")
@click.option("--attack/--defend", "is_attack", default=True, show_default=True,
              help="Attack (position 2p) or defend (2(p+1)) the claim.")
@click.option("--value", default=None, metavar="HEX",
              help="The 32-byte claim to make [default: the honest chain's value there].")
@_endpoint_options
@_key_options
def move_command(game_id: int, claim_index: int, is_attack: bool, value: str | None,
                 **options: Any) -> None:
    """Counter claim --claim of GAME_ID, bonding the required amount from --key."""
    key = _or_exit(lambda: _key(options), EXIT_CONFIG)
    genesis = _or_exit(lambda: _genesis(_target(options)), EXIT_CONFIG)
    chosen = None if value is None else _or_exit(lambda: _bytes32("value", value), EXIT_CONFIG)

    async def run(chain: DisputeChain, outputs: OutputSource | None) -> dict[str, Any]:
        rules = await chain.rules()
        moment = await chain.moment()
        game = await _existing_game(chain, game_id, moment.block)
        if claim_index >= len(game.claims):
            raise ConfigError(f"claim: game {game_id} has claims 0..{len(game.claims) - 1}")
        parent = game.claims[claim_index]
        position = attack_position(parent.position) if is_attack else \
            defend_position(parent.position)
        if depth(position) > rules.max_game_depth:
            raise ConfigError(f"claim: #{claim_index} is at the max depth; it is countered by "
                              f"step, not by a move")
        claim = chosen
        if claim is None:
            trace = await _trace(chain, game, rules, moment.block, outputs, genesis)
            if trace is None:
                raise ConfigError("value: not given and no L2 source to compute the honest "
                                  "one; pass --value HEX or --l2-rpc URL")
            claim = trace.value(position, rules.max_game_depth)
        action = Move(game.game_id, game.batch_hash, claim_index, parent.value, claim,
                      is_attack, rules.bond(depth(position)), position)
        return await _send(chain, key, action)

    document = _run(options, run)
    _print(options, document, f"{document['action']} in L1 block {document['l1Block']} "
                              f"(transaction {document['txHash']})")


@dispute_group.command(name="resolve")
@click.argument("game_id", type=click.IntRange(1))
@_endpoint_options
@_key_options
def resolve_command(game_id: int, **options: Any) -> None:
    """Resolve what can be resolved of GAME_ID now (one level of claims per call; the game
    once its root is resolved)."""
    key = _or_exit(lambda: _key(options), EXIT_CONFIG)

    async def run(chain: DisputeChain, _: OutputSource | None) -> dict[str, Any]:
        rules = await chain.rules()
        moment = await chain.moment()
        game = await _existing_game(chain, game_id, moment.block)
        actions = resolutions(game, rules, moment.timestamp)
        if not actions:
            raise ConfigError(f"game {game_id}: nothing can be resolved now (clocks still "
                              f"running, or the game is over)")
        sent = [await _send(chain, key, action) for action in actions]
        return {"sent": sent}

    document = _run(options, run)
    _print(options, document, "\n".join(f"{item['action']} (transaction {item['txHash']})"
                                        for item in document["sent"]))


@dispute_group.command(name="claim")
@_endpoint_options
@_key_options
def claim_command(**options: Any) -> None:
    """Pay --key's account its credit from every resolved game (bonds in ETH, slashed stake
    in tokens)."""
    key = _or_exit(lambda: _key(options), EXIT_CONFIG)

    async def run(chain: DisputeChain, _: OutputSource | None) -> dict[str, Any]:
        account = LocalAccount(chain.client, key)
        eth, tokens = await chain.credits(account.address, await chain.client.block_number())
        if eth == 0 and tokens == 0:
            raise ConfigError(f"0x{account.address.hex()} has no credit in the dispute game")
        document = await _send(chain, key, ClaimCredit(account.address))
        return {**document, "eth": str(eth), "tokens": str(tokens)}

    document = _run(options, run)
    _print(options, document, f"claimed {document['eth']} wei and {document['tokens']} token "
                              f"units (transaction {document['txHash']})")


# ------------------------------------------------------------------------ helpers


async def _existing_game(chain: DisputeChain, game_id: int, block: int) -> Game:
    count = await chain.game_count(block)
    if game_id > count:
        raise ConfigError(f"game: {game_id} does not exist (games 1..{count})")
    return await chain.read_game(game_id, block)


async def _trace(chain: DisputeChain, game: Game, rules: GameRules, block: int,
                 outputs: OutputSource | None, genesis: Genesis | None) -> BatchTrace | None:
    """The honest trace of the game's batch; with an L2 RPC and the genesis its step half
    too, traced for the blocks the game's claims reach (as the challenger does)."""
    if outputs is None or not await chain.batch_still_landed(game):
        return None
    batch = await chain.batch(game.batch_index, block)
    steps = missing_steps if genesis is None else await _steps(chain, outputs, genesis)
    trace = await L2TraceSource(outputs, steps).batch_trace(batch, rules.max_step_depth)
    if trace is not None:
        await prepare_steps(game, trace)
    return trace


async def _send(chain: DisputeChain, key: bytes, action: Action) -> dict[str, Any]:
    receipt = await chain.send(LocalAccount(chain.client, key), action)
    return {"action": _action_name(action), "txHash": _hex(receipt.transaction_hash),
            "l1Block": receipt.block_number, "gasUsed": receipt.gas_used}


def _action_name(action: Action) -> str:
    names = {Open: "open", Move: "move", Step: "step", ResolveClaim: "resolve_claim",
             Resolve: "resolve", ClaimCredit: "claim_credit"}
    return names[type(action)]


def _game_json(game: Game, rules: GameRules, now: int) -> dict[str, Any]:
    unresolved = [claim.index for claim in game.claims if not claim.resolved]
    return {"gameId": game.game_id, "batchIndex": game.batch_index,
            "batchHash": _hex(game.batch_hash), "rootClaim": _hex(game.root_claim),
            "status": STATUS_NAMES[game.status], "claims": len(game.claims),
            "blockCount": game.block_count,
            "bonds": str(sum(claim.bond for claim in game.claims)),
            "secondsToResolve": max((game.seconds_to_counter(index, now, rules)
                                     for index in unresolved), default=0)}


def _bytes32(name: str, text: str) -> bytes:
    try:
        value = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        value = b""
    if len(value) != 32 or not text.startswith("0x"):
        raise ConfigError(f"{name}: {text!r} is not a 0x-prefixed 32-byte value")
    return value


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _print(options: dict[str, Any], document: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(document) if options["as_json"] else text)


def _or_exit(action: Callable[[], T], code: int) -> T:
    try:
        return action()
    except (ConfigError, PasswordError) as error:
        _fail(str(error), EXIT_CONFIG)
    except (NoDisputeGame, L2Unavailable, StepTraceUnavailable) as error:
        _fail(str(error), EXIT_FAILED)
    except L1Error as error:
        _fail(f"endpoint: {error}", EXIT_FAILED)
    except OSError as error:
        _fail(f"endpoint: {error}", EXIT_FAILED)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


