"""``ordo bridge``: deposit ETH to Ordo, withdraw it, prove and finalize the withdrawal on L1,
and see where a withdrawal stands.

Amounts are ETH in decimal (``1``, ``0.25``). Endpoints come from ``--devnet DIR`` or from
``--l1-rpc``/``--l2-rpc`` with a node's ``--config``. The key is a keystore (``--key``) or, on a
devnet only, ``--dev-account N``. ``--json`` prints one JSON object per command; otherwise one
readable line per stage. Errors are one ``error:`` line; exit code 2 for a wrong option, 1 for a
refusal or a failed endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from ordo.config.node_config import ConfigError
from ordo.core.genesis import DEV_L1_CHAIN_ID, DEVNET_CHAIN_ID, Genesis, dev_private_keys
from ordo.keys.keystore_unlock import unlock_keystore
from ordo.keys.password_source import PasswordError, PasswordSource
from ordo.l1.client import ClientConfig, L1Client
from ordo.l1.local_account import LocalAccount
from ordo.l1.rpc_errors import L1Error
from ordo.operator.network_init import parse_hex_address
from ordo.operator.token_amount import AmountError, format_token_amount, parse_token_amount
from ordo.settlement import bridge
from ordo.settlement.bridge import BridgeRefused, WithdrawalStatus
from ordo.settlement.bridge_target import BridgeTarget, resolve_bridge_target
from ordo.settlement.fallback_post import FallbackRefused, PostedFallback, post_fallback_batch
from ordo.settlement.l2_readers import (
    InitiatedWithdrawal,
    L2Reader,
    L2Unavailable,
    RpcL2Reader,
    StoreL2Reader,
    derived_reader,
)
from ordo.settlement.withdrawal import MAX_WITHDRAWAL_DATA

T = TypeVar("T")
EXIT_FAILED = 1
EXIT_CONFIG = 2
CLIENT = ClientConfig(request_timeout=20.0, max_attempts=3)
FORCED_FEE_HEADROOM = 4
"""A forced transaction's fee cap: four times the next base fee, since it may wait for the
inclusion window while the base fee moves."""
ANVIL_CHAIN_ID = 31337
DEV_L1_CHAIN_IDS = (DEV_L1_CHAIN_ID, ANVIL_CHAIN_ID)
"""L1 chains on which --dev-account is allowed: the embedded dev L1 and anvil."""


def _target_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--devnet", type=click.Path(path_type=Path), default=None,
                     help="A devnet's data dir (or its devnet.json): endpoints and contracts."),
        click.option("--l1-rpc", default=None, metavar="URL", help="L1 JSON-RPC URL."),
        click.option("--l2-rpc", default=None, metavar="URL", help="Ordo node JSON-RPC URL."),
        click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
                     help="A node's config.toml (ordo init): its L1 and genesis."),
        click.option("--genesis", type=click.Path(path_type=Path), default=None,
                     help="The L2 genesis.json (for --l2-data) [default: the devnet's or "
                          "--config's]."),
        click.option("--l2-data", type=click.Path(path_type=Path), default=None,
                     help="Read L2 from a chain derived from L1 alone into this directory "
                          "instead of a node: works with every sequencer gone."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
    ]):
        function = option(function)
    return function


def _key_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--key", "key_path", type=click.Path(path_type=Path), default=None,
                     help="Keystore of the account that sends (ordo keys new)."),
        click.option("--password-file", type=click.Path(path_type=Path), default=None,
                     help="File whose first line unlocks --key [default: prompt]."),
        click.option("--password-env", metavar="NAME", default=None,
                     help="Environment variable holding the password of --key."),
        click.option("--dev-account", type=int, default=None, metavar="N",
                     help="Public development account N (0-9); refused outside a devnet."),
    ]):
        function = option(function)
    return function


@click.group(name="bridge")
def bridge_group() -> None:
    """Move ETH between L1 and Ordo: deposit, withdraw, prove, finalize, status."""


@bridge_group.command(name="deposit")
@click.argument("amount")
@click.option("--to", "recipient", default=None, metavar="ADDR",
              help="L2 recipient [default: the sending account].")
@_target_options
@_key_options
def deposit_command(amount: str, recipient: str | None, **options: Any) -> None:
    """Deposit AMOUNT ETH from L1 to Ordo (the forced queue's fee is paid on top)."""
    value = _or_exit(lambda: parse_token_amount(amount, 18, "ETH"), EXIT_CONFIG)
    target = _or_exit(lambda: _target(options), EXIT_CONFIG)

    async def run(ends: Endpoints, key: bytes) -> bridge.DepositResult:
        account = LocalAccount(ends.l1, key)
        to = account.address if recipient is None else parse_hex_address("to", recipient)
        return await bridge.deposit(ends.l1, account, target, value, to)

    result = _run_signed(options, target, run)
    _print(options, {"txHash": _hex(result.tx_hash), "l1Block": result.l1_block,
                     "queueIndex": result.queue_index, "to": _hex(result.recipient),
                     "amount": str(result.amount), "fee": str(result.fee)},
           f"deposited {_eth(result.amount)} ETH to {_hex(result.recipient)} (fee "
           f"{_eth(result.fee)} ETH): forced item {result.queue_index} in L1 block "
           f"{result.l1_block}, transaction {_hex(result.tx_hash)}; it is minted on L2 within "
           "the queue's inclusion window")


@bridge_group.command(name="withdraw")
@click.argument("amount")
@click.option("--to", "recipient", default=None, metavar="ADDR",
              help="L1 recipient [default: the sending account].")
@click.option("--l1-gas-limit", type=click.IntRange(0, 10_000_000),
              default=bridge.DEFAULT_L1_GAS_LIMIT, show_default=True,
              help="Gas the portal gives the L1 payment call.")
@click.option("--data", "call_data", default="0x", metavar="HEX",
              help="Calldata of the L1 call to --to (a contract) [default: none, a plain "
                   "payment].")
@click.option("--forced", is_flag=True,
              help="Send the withdrawal through L1's forced-inclusion queue instead of an L2 "
                   "node: it is included even if every sequencer refuses it or is gone.")
@click.option("--nonce", type=click.IntRange(0), default=None,
              help="With --forced: the L2 nonce [default: from the L2 node or --l2-data].")
@_target_options
@_key_options
def withdraw_command(amount: str, recipient: str | None, l1_gas_limit: int, call_data: str,
                     forced: bool, nonce: int | None, **options: Any) -> None:
    """Withdraw AMOUNT ETH from Ordo to L1 (prove, then finalize after the window)."""
    value = _or_exit(lambda: parse_token_amount(amount, 18, "ETH"), EXIT_CONFIG)
    data = _or_exit(lambda: _call_data(call_data), EXIT_CONFIG)
    target = _or_exit(lambda: _target(options), EXIT_CONFIG)
    if forced:
        _forced_withdraw(options, target, value, recipient, l1_gas_limit, data, nonce)
        return

    async def run(ends: Endpoints, key: bytes) -> InitiatedWithdrawal:
        account = LocalAccount(ends.node(), key)
        to = account.address if recipient is None else parse_hex_address("to", recipient)
        return await bridge.initiate_withdrawal(ends.node(), account, value, to, l1_gas_limit,
                                                data)

    result = _run_signed(options, target, run)
    withdrawal = result.withdrawal
    _print(options, {"txHash": _hex(result.tx_hash), "l2Block": result.l2_block,
                     **withdrawal.to_json()},
           f"withdrawal of {_eth(withdrawal.value)} ETH to {_hex(withdrawal.target)} initiated "
           f"in L2 block {result.l2_block} (transaction {_hex(result.tx_hash)}); prove it "
           "once a batch covering that block has landed on L1")


def _forced_withdraw(options: dict[str, Any], target: BridgeTarget, value: int,
                     recipient: str | None, l1_gas_limit: int, data: bytes,
                     nonce: int | None) -> None:
    async def run(ends: Endpoints, key: bytes) -> bridge.ForcedWithdrawal:
        account = LocalAccount(ends.l1, key)
        to = account.address if recipient is None else parse_hex_address("to", recipient)
        reader = ends.reader()
        chosen = nonce if nonce is not None else await reader.account_nonce(account.address)
        max_fee = FORCED_FEE_HEADROOM * await reader.next_base_fee()
        raw = bridge.sign_withdrawal_transaction(key, await ends.l2_chain_id(), chosen, value,
                                                 to, l1_gas_limit, data, max_fee)
        return await bridge.enqueue_forced(ends.l1, account, target, raw)

    result = _run_signed(options, target, run)
    _print(options, {"txHash": _hex(result.l2_tx_hash), "l1TxHash": _hex(result.l1_tx_hash),
                     "l1Block": result.l1_block, "queueIndex": result.queue_index},
           f"withdrawal of {_eth(value)} ETH sent through the forced queue as item "
           f"{result.queue_index} (L1 block {result.l1_block}); its L2 transaction is "
           f"{_hex(result.l2_tx_hash)}: prove it with that hash once a batch includes it")


@bridge_group.command(name="self-post")
@_target_options
@_key_options
def self_post_command(**options: Any) -> None:
    """When no signed batch has landed for the inbox's sequencer timeout, post the next batch
    yourself: one block L1 alone determines (the forced-queue items up to a confirmed L1
    block), bonded, unsigned. Needs --l2-data (the chain is derived from L1 there)."""
    target = _or_exit(lambda: _target(options), EXIT_CONFIG)
    if options["l2_data"] is None:
        _fail("l2-data: self-post builds on the chain derived from L1; pass --l2-data DIR",
              EXIT_CONFIG)

    async def run(ends: Endpoints, key: bytes) -> PostedFallback:
        assert isinstance(ends.derived, StoreL2Reader) and ends.genesis is not None
        anchor = ends.genesis.l1
        if anchor is None:
            raise ConfigError("genesis: this network is not anchored to an L1")
        return await post_fallback_batch(ends.l1, LocalAccount(ends.l1, key), ends.derived,
                                         ends.genesis, target.inbox, target.forced_queue,
                                         anchor.confirmations)

    posted = _run_signed(options, target, run)
    header, block = posted.header, posted.block
    _print(options, {"txHash": _hex(posted.receipt.transaction_hash),
                     "l1Block": posted.receipt.block_number, "batchIndex": header.index,
                     "l2Block": header.last_block, "outputRoot": _hex(header.output_root),
                     "inputsRoot": _hex(header.inputs_root),
                     "forcedThrough": header.forced_through,
                     "transactions": block.transactions, "bond": str(posted.bond)},
           f"fallback batch {header.index} posted in L1 block {posted.receipt.block_number} "
           f"(transaction {_hex(posted.receipt.transaction_hash)}): L2 block "
           f"{header.last_block} with {block.transactions} forced transactions, output root "
           f"{_hex(header.output_root)}; bond {_eth(posted.bond)} ETH, reclaimable once final")


@bridge_group.command(name="prove")
@click.argument("tx_hash")
@_target_options
@_key_options
def prove_command(tx_hash: str, **options: Any) -> None:
    """Prove on L1 the withdrawal made by L2 transaction TX_HASH."""
    digest = _or_exit(lambda: _tx_hash(tx_hash), EXIT_CONFIG)
    target = _or_exit(lambda: _target(options), EXIT_CONFIG)

    async def run(ends: Endpoints, key: bytes) -> Any:
        return await bridge.prove(ends.l1, ends.reader(), LocalAccount(ends.l1, key), target,
                                  digest)

    receipt, after = _run_signed(options, target, run)
    assert after.batch is not None
    _print(options, {**after.to_json(), "txHash": _hex(receipt.transaction_hash),
                     "withdrawalTx": _hex(digest), "l1Block": receipt.block_number},
           f"proved against batch {after.batch.index} (L2 blocks {after.batch.first_block}-"
           f"{after.batch.last_block}) in L1 block {receipt.block_number} (transaction "
           f"{_hex(receipt.transaction_hash)}); {_window_text(after)}")


@bridge_group.command(name="finalize")
@click.argument("tx_hash")
@_target_options
@_key_options
def finalize_command(tx_hash: str, **options: Any) -> None:
    """Pay on L1 the proved withdrawal of L2 transaction TX_HASH once its window is over."""
    digest = _or_exit(lambda: _tx_hash(tx_hash), EXIT_CONFIG)
    target = _or_exit(lambda: _target(options), EXIT_CONFIG)

    async def run(ends: Endpoints, key: bytes) -> Any:
        return await bridge.finalize(ends.l1, ends.reader(), LocalAccount(ends.l1, key), target,
                                     digest)

    receipt, paid = _run_signed(options, target, run)
    document = {"txHash": _hex(receipt.transaction_hash), "withdrawalTx": _hex(digest),
                "l1Block": receipt.block_number, "paid": paid,
                "stage": "finalized" if paid else "proved"}
    if not paid:
        _print(options, document, f"the L1 call to the target failed in L1 block "
               f"{receipt.block_number} (transaction {_hex(receipt.transaction_hash)}); the "
               "withdrawal stays proved and can be finalized again")
        sys.exit(EXIT_FAILED)
    _print(options, document, f"finalized in L1 block {receipt.block_number} (transaction "
           f"{_hex(receipt.transaction_hash)}): the target was paid")


@bridge_group.command(name="status")
@click.argument("tx_hash", required=False)
@_target_options
def status_command(tx_hash: str | None, **options: Any) -> None:
    """Where the withdrawal of L2 transaction TX_HASH stands; without TX_HASH, the latest
    output root on L1 and its window."""
    target = _or_exit(lambda: _target(options), EXIT_CONFIG)
    if tx_hash is None:
        overview = _or_exit(lambda: _with_endpoints(
            target, options, lambda ends: bridge.overview(ends.l1, target), need_l2=False),
            EXIT_FAILED)
        _print(options, overview, _overview_text(overview))
        return
    digest = _or_exit(lambda: _tx_hash(tx_hash), EXIT_CONFIG)
    current = _or_exit(lambda: _with_endpoints(
        target, options, lambda ends: bridge.status(ends.l1, ends.reader(), target, digest)),
        EXIT_FAILED)
    withdrawal = current.initiated.withdrawal
    text = f"{current.stage}: {_eth(withdrawal.value)} ETH to {_hex(withdrawal.target)} " \
           f"(L2 block {current.initiated.l2_block})"
    if current.stage != "finalized":
        text += f"; {_window_text(current)}"
    _print(options, current.to_json(), text)


def _overview_text(overview: dict[str, Any]) -> str:
    if overview["batchIndex"] is None:
        return "no batch has landed on L1 yet"
    left = overview["finalizableAt"] - overview["l1Time"]
    window = "final" if overview["final"] else (
        f"final in {left} s" if left > 0 else "window over, final once undisputed")
    return (f"latest output root {overview['outputRoot']} (batch {overview['batchIndex']}, L2 "
            f"block {overview['l2Block']}): {window}; the portal holds "
            f"{_eth(int(overview['portalBalance']))} ETH")


def _window_text(current: WithdrawalStatus) -> str:
    if current.finalizable_at is None:
        return "no batch covering it has landed yet"
    moment = datetime.fromtimestamp(current.finalizable_at, UTC).isoformat(timespec="seconds")
    left = current.finalizable_at - current.l1_time
    return f"finalizable at {moment} (" + (f"in {left} s)" if left > 0 else "now)")


def _target(options: dict[str, Any]) -> BridgeTarget:
    return resolve_bridge_target(options["devnet"], options["l1_rpc"], options["l2_rpc"],
                                 options["config_path"], options["genesis"])


@dataclass
class Endpoints:
    """The L1, the L2 node if one is named, and where L2 is read from for proofs."""

    l1: L1Client
    l2: L1Client | None
    derived: L2Reader | None
    genesis: Genesis | None

    def node(self) -> L1Client:
        if self.l2 is None:
            raise ConfigError("l2-rpc: not given; pass --l2-rpc URL or --devnet DIR (or, with "
                              "every sequencer gone, withdraw --forced)")
        return self.l2

    def reader(self) -> L2Reader:
        return self.derived if self.derived is not None else RpcL2Reader(self.node())

    async def l2_chain_id(self) -> int:
        if self.genesis is not None:
            return self.genesis.chain_id
        return await self.node().chain_id()


def _run_signed(options: dict[str, Any], target: BridgeTarget,
                action: Callable[[Endpoints, bytes], Coroutine[Any, Any, T]]) -> T:
    """Run ``action`` with the endpoints and the sender's key (checked first for what it may
    sign)."""
    key = _or_exit(lambda: _key(options), EXIT_CONFIG)

    async def signed(ends: Endpoints) -> T:
        if options["dev_account"] is not None:
            await _check_devnet(ends)
        return await action(ends, key)

    return _or_exit(lambda: _with_endpoints(target, options, signed), EXIT_FAILED)


def _with_endpoints(target: BridgeTarget, options: dict[str, Any],
                    action: Callable[[Endpoints], Coroutine[Any, Any, T]],
                    need_l2: bool = True) -> T:
    genesis = None if target.genesis_path is None else Genesis.load(target.genesis_path)
    data_dir: Path | None = options["l2_data"]
    if data_dir is not None and genesis is None:
        raise ConfigError("l2-data: deriving L2 needs its genesis; pass --genesis FILE")

    async def run() -> T:
        async with contextlib.AsyncExitStack() as stack:
            l1 = await stack.enter_async_context(L1Client(target.l1_rpc, CLIENT))
            l2 = None if target.l2_rpc is None else \
                await stack.enter_async_context(L1Client(target.l2_rpc, CLIENT))
            derived = None
            if data_dir is not None and need_l2:
                assert genesis is not None
                derived = await stack.enter_async_context(derived_reader(
                    target.l1_rpc, target.inbox, genesis, data_dir, target.inbox_deploy_block))
            return await action(Endpoints(l1, l2, derived, genesis))

    return asyncio.run(run())


def _key(options: dict[str, Any]) -> bytes:
    if options["dev_account"] is not None:
        if options["key_path"] is not None:
            raise ConfigError("key: give --key or --dev-account, not both")
        index = options["dev_account"]
        if not 0 <= index < 10:
            raise ConfigError(f"dev-account: {index} is not allowed; use 0 to 9")
        return dev_private_keys()[index]
    if options["key_path"] is None:
        raise ConfigError("key: not given; pass --key FILE (a keystore from ordo keys new) or, "
                          "on a devnet, --dev-account N")
    source = PasswordSource(options["password_file"], options["password_env"])
    return unlock_keystore(options["key_path"], source)


async def _check_devnet(ends: Endpoints) -> None:
    """The development keys are public: refuse them on any chain but a devnet's."""
    l1_id, l2_id = await ends.l1.chain_id(), await ends.l2_chain_id()
    if l2_id != DEVNET_CHAIN_ID or l1_id not in DEV_L1_CHAIN_IDS:
        raise ConfigError(f"dev-account: refused on L2 chain {l2_id} / L1 chain {l1_id}; the "
                          f"development keys are public and work only on a devnet (L2 "
                          f"{DEVNET_CHAIN_ID} on L1 {' or '.join(map(str, DEV_L1_CHAIN_IDS))})")


def _call_data(text: str) -> bytes:
    digits = text.strip()
    try:
        data = bytes.fromhex(digits.removeprefix("0x"))
    except ValueError:
        raise ConfigError(f"data: {text!r} is not 0x-prefixed hex") from None
    if not digits.startswith("0x") or len(data) > MAX_WITHDRAWAL_DATA:
        raise ConfigError(f"data: {text[:20]!r}... is not allowed; use 0x-prefixed hex of at "
                          f"most {MAX_WITHDRAWAL_DATA} bytes")
    return data


def _tx_hash(text: str) -> bytes:
    digits = text.strip().removeprefix("0x")
    try:
        value = bytes.fromhex(digits)
    except ValueError:
        value = b""
    if len(value) != 32:
        raise ConfigError(f"tx_hash: {text!r} is not a 0x-prefixed 32-byte transaction hash")
    return value


def _print(options: dict[str, Any], document: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(document) if options["as_json"] else text)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _eth(wei: int) -> str:
    return format_token_amount(wei, 18)


def _or_exit(action: Callable[[], T], code: int) -> T:
    try:
        return action()
    except (ConfigError, AmountError, PasswordError) as error:
        _fail(str(error), EXIT_CONFIG)
    except (BridgeRefused, FallbackRefused, L2Unavailable) as error:
        _fail(str(error), EXIT_FAILED)
    except L1Error as error:
        _fail(f"endpoint: {error}", code if code != EXIT_CONFIG else EXIT_FAILED)
    except OSError as error:
        _fail(f"endpoint: {error}", EXIT_FAILED)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
