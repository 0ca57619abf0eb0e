"""``ordo stake``: lock, relock, unlock, withdraw and claim against the L1 LockingPool, and
status to see where an operator stands.

Every sending command reads the operator's position first, refuses what the pool would refuse
(with the numbers), shows what it is about to sign and asks before sending (``--yes`` skips the
question). Errors are one line: exit code 2 for a wrong option, 1 for a refusal or a failed L1.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from eth_utils import to_checksum_address

from ordo.config.node_config import ConfigError
from ordo.keys.keystore_unlock import keystore_address, unlock_keystore
from ordo.keys.password_source import PasswordError, PasswordSource
from ordo.l1.client import ClientConfig, L1Client
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1Error
from ordo.operator.network_init import parse_hex_address
from ordo.operator.pool_position import PoolPosition, read_position
from ordo.operator.stake_checks import StakeRefused, tokens
from ordo.operator.stake_plan import StakePlan, execute_plan, plan_action
from ordo.operator.stake_target import StakeTarget, resolve_key_path, resolve_target
from ordo.operator.token_amount import AmountError, parse_token_amount
from ordo.staking.pool_reader import PoolReadError
from ordo.staking.sequencer_state import SequencerState

T = TypeVar("T")
EXIT_FAILED = 1
EXIT_CONFIG = 2
L1_CLIENT = ClientConfig(request_timeout=10.0, max_attempts=3)


def _target_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--l1-rpc", default=None, envvar="ORDO_L1_RPC", metavar="URL",
                     help="L1 JSON-RPC URL [default: [node] l1_rpc of --config, $ORDO_L1_RPC]."),
        click.option("--pool", default=None, metavar="ADDR",
                     help="LockingPool address [default: [stake] locking_pool of --config, or "
                          "the l1 section of its genesis or of --devnet-json]."),
        click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
                     help="A node config.toml (ordo init) to take l1_rpc, the pool and the "
                          "operator key from."),
        click.option("--devnet-json", type=click.Path(path_type=Path), default=None,
                     help="A devnet's devnet.json whose l1 section names the pool."),
    ]):
        function = option(function)
    return function


def _key_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--key", "key_path", type=click.Path(path_type=Path), default=None,
                     help="Keystore of the L1 operator account (not the node's signer key) "
                          "[default: [stake] operator_key of --config]."),
        click.option("--password-file", type=click.Path(path_type=Path), default=None,
                     help="File whose first line unlocks --key [default: prompt]."),
        click.option("--password-env", metavar="NAME", default=None,
                     help="Environment variable holding the password of --key."),
        click.option("--yes", "assume_yes", is_flag=True,
                     help="Send without asking for confirmation."),
    ]):
        function = option(function)
    return function


@click.group(name="stake")
def stake_group() -> None:
    """Lock, top up, unlock, withdraw and claim a sequencer's stake on the L1 LockingPool."""


@stake_group.command(name="lock")
@click.argument("amount")
@click.option("--signer", required=True, metavar="ADDR",
              help="Address of the node's signer key (ordo keys list), the key it votes with.")
@_target_options
@_key_options
def lock_command(amount: str, signer: str, **options: Any) -> None:
    """Lock AMOUNT tokens (e.g. 20000 or 20000.5) to join the sequencer set with --signer.

    Approves the pool for AMOUNT first if its allowance is short. The stake counts from the
    next epoch the pool advances to."""
    signer_address = _or_exit(lambda: parse_hex_address("signer", signer), EXIT_CONFIG)
    _run_action("lock", options, amount_text=amount, signer=signer_address)


@stake_group.command(name="relock")
@click.argument("amount")
@_target_options
@_key_options
def relock_command(amount: str, **options: Any) -> None:
    """Add AMOUNT tokens to an active lock (up to the pool's maximum)."""
    _run_action("relock", options, amount_text=amount)


@stake_group.command(name="unlock")
@_target_options
@_key_options
def unlock_command(**options: Any) -> None:
    """Leave the sequencer set; the stake is withdrawable after the exit delay and the next
    epoch change."""
    _run_action("unlock", options)


@stake_group.command(name="withdraw")
@_target_options
@_key_options
def withdraw_command(**options: Any) -> None:
    """Take the unlocked stake back once the exit delay is over."""
    _run_action("withdraw", options)


@stake_group.command(name="claim")
@click.option("--sequencer", default=None, metavar="ADDR",
              help="Operator whose rewards to claim [default: the --key account]; the key must "
                   "be that sequencer's reward recipient.")
@_target_options
@_key_options
def claim_command(sequencer: str | None, **options: Any) -> None:
    """Claim the rewards owed to a sequencer (as much as the pool's reserve holds)."""
    owner = None if sequencer is None else \
        _or_exit(lambda: parse_hex_address("sequencer", sequencer), EXIT_CONFIG)
    _run_action("claim", options, sequencer=owner)


@stake_group.command(name="status")
@click.option("--operator", default=None, metavar="ADDR",
              help="Operator (L1 account that locked) [default: the address of --key].")
@click.option("--key", "key_path", type=click.Path(path_type=Path), default=None,
              help="Keystore whose address to show (no password needed).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@_target_options
def status_command(operator: str | None, key_path: Path | None, as_json: bool,
                   **options: Any) -> None:
    """Show an operator's lock, status, rewards owed and claimable, and when it can withdraw."""
    target = _or_exit(lambda: _target(options), EXIT_CONFIG)
    if operator is not None:
        address = _or_exit(lambda: parse_hex_address("operator", operator), EXIT_CONFIG)
    else:
        path = _or_exit(lambda: resolve_key_path(key_path, options["config_path"]), EXIT_CONFIG)
        address = _or_exit(lambda: keystore_address(path), EXIT_CONFIG)
    position = _or_exit(lambda: asyncio.run(_read(target, address)), EXIT_FAILED)
    if as_json:
        click.echo(json.dumps({**position.sequencer.to_json(),
                               "pool": _address(position.pool),
                               "token": "0x" + position.token.hex(),
                               "balance": str(position.balance)}, indent=2))
        return
    for name, value in status_lines(position):
        click.echo(f"{name + ':':<22}{value}")


def status_lines(position: PoolPosition) -> list[tuple[str, str]]:
    state: SequencerState = position.sequencer
    lines = [
        ("operator", _address(state.owner)),
        ("pool", _address(position.pool)),
        ("status", state.status.name.lower()),
        ("locked", tokens(position, state.locked)),
        ("signer", _address(state.signer) if state.signer != bytes(20) else "-"),
        ("reward recipient", _address(state.reward_recipient)
         if state.reward_recipient != bytes(20) else "-"),
        ("rewards owed", tokens(position, state.rewards_owed)),
        ("rewards claimable", tokens(position, state.rewards_claimable)),
        ("balance", tokens(position, position.balance)),
        ("epoch", str(state.current_epoch)),
    ]
    waiting = state.seconds_until_withdrawable
    if waiting is not None:
        moment = datetime.fromtimestamp(state.withdrawable_at, UTC).isoformat(timespec="seconds")
        lines.append(("withdrawable at", f"{moment} (L1 time {state.withdrawable_at}, "
                                         f"in {waiting} s)"))
        lines.append(("can withdraw now", "yes" if state.can_withdraw else "no"))
    return lines


def _run_action(action: str, options: dict[str, Any], *, amount_text: str | None = None,
                signer: bytes | None = None, sequencer: bytes | None = None) -> None:
    target = _or_exit(lambda: _target(options), EXIT_CONFIG)
    key_path = _or_exit(lambda: resolve_key_path(options["key_path"], options["config_path"]),
                        EXIT_CONFIG)
    caller = _or_exit(lambda: keystore_address(key_path), EXIT_CONFIG)
    source = _or_exit(lambda: PasswordSource(options["password_file"],
                                             options["password_env"]), EXIT_CONFIG)
    owner = sequencer or caller
    position = _or_exit(lambda: asyncio.run(_read(target, owner)), EXIT_FAILED)
    amount = None if amount_text is None else _or_exit(
        lambda: parse_token_amount(amount_text, position.decimals, position.symbol),
        EXIT_CONFIG)
    plan = _or_exit(lambda: plan_action(action, position, amount=amount, signer=signer,
                                        caller=caller), EXIT_FAILED)
    for name, value in confirmation_lines(plan, position, caller):
        click.echo(f"{name + ':':<18}{value}")
    if not options["assume_yes"]:
        try:
            confirmed = click.confirm("Send?", default=False, err=True)
        except click.Abort:
            confirmed = False
        if not confirmed:
            _fail("not confirmed; nothing was sent (--yes sends without asking)", EXIT_FAILED)
    key = _or_exit(lambda: unlock_keystore(key_path, source), EXIT_CONFIG)
    receipt = _or_exit(lambda: asyncio.run(_send(target, key, position, plan)), EXIT_FAILED)
    click.echo(f"{plan.function} done in L1 block {receipt.block_number} "
               f"(transaction 0x{receipt.transaction_hash.hex()})")


def confirmation_lines(plan: StakePlan, position: PoolPosition,
                       caller: bytes) -> list[tuple[str, str]]:
    """What the operator is asked to confirm: who sends what to which contracts."""
    state = position.sequencer
    lines = [("action", plan.action), ("operator", _address(caller)),
             ("pool", _address(position.pool)),
             ("token", f"{_address(position.token)} ({position.symbol})")]
    if plan.amount is not None:
        lines.append(("amount", tokens(position, plan.amount)))
    if plan.signer is not None:
        lines.append(("signer", _address(plan.signer)))
    if plan.action == "claim":
        lines.append(("sequencer", _address(state.owner)))
        lines.append(("claimable", tokens(position, state.rewards_claimable)))
    lines.append(("current lock", f"{tokens(position, state.locked)} "
                                  f"({state.status.name.lower()})"))
    if plan.action == "unlock":
        lines.append(("exit delay", f"{position.exit_delay} s, then the next epoch change"))
    if plan.approve:
        lines.append(("approve first", f"{tokens(position, plan.approve)} to the pool"))
    return lines


def _address(raw: bytes) -> str:
    return to_checksum_address(raw)


def _target(options: dict[str, Any]) -> StakeTarget:
    return resolve_target(options["l1_rpc"], options["pool"], options["config_path"],
                          options["devnet_json"])


async def _read(target: StakeTarget, owner: bytes) -> PoolPosition:
    async with L1Client(target.l1_rpc, L1_CLIENT) as client:
        return await read_position(client, target.pool, owner)


async def _send(target: StakeTarget, key: bytes, position: PoolPosition,
                plan: StakePlan) -> Any:
    async with L1Client(target.l1_rpc, L1_CLIENT) as client:
        return await execute_plan(client, LocalAccount(client, key), position, plan)


def _or_exit(action: Callable[[], T], code: int) -> T:
    """Known failures become one ``error:`` line; exit 2 for options, 1 for the rest."""
    try:
        return action()
    except (ConfigError, AmountError, PasswordError) as error:
        _fail(str(error), EXIT_CONFIG)
    except (StakeRefused, PoolReadError) as error:
        _fail(str(error), code if code != EXIT_CONFIG else EXIT_FAILED)
    except L1Error as error:
        _fail(f"L1: {error}", EXIT_FAILED)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
