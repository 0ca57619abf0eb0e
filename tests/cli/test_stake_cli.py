"""``ordo stake`` against a real anvil with a freshly deployed token and pool: lock, relock,
claim, unlock, withdraw, the confirmation, and refusals as one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ordo.cli import main
from ordo.keys.keystore import write_keystore
from ordo.operator.token_amount import AmountError, format_token_amount, parse_token_amount
from tests.l1_contracts.pool_deployment import (
    EPOCH_INTERVAL,
    EXIT_DELAY,
    TOKEN,
    PoolDeployment,
)

PASSWORD = "operator password"
SIGNER = Web3.to_checksum_address("0x" + "5e" * 20)


class Operator:
    """One L1 operator account with a keystore, and the ``ordo stake`` flags that reach the
    test's pool."""

    def __init__(self, deployment: PoolDeployment, account: LocalAccount, directory: Path):
        self.deployment = deployment
        self.account = account
        self.keystore = write_keystore(directory, "signer", bytes(account.key), PASSWORD,
                                       scrypt_n=2**10).path
        self.target = ["--l1-rpc", deployment.chain.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
                       "--pool", deployment.pool.address]

    def stake(self, action: str, *arguments: str, answer: str | None = None,
              confirm: bool = True) -> tuple[int, str, str]:
        flags = ["--key", str(self.keystore), "--password-env", "ORDO_TEST_PASSWORD"]
        if confirm:
            flags.append("--yes")
        result = CliRunner().invoke(main, ["stake", action, *arguments, *self.target, *flags],
                                    env={"ORDO_TEST_PASSWORD": PASSWORD}, input=answer)
        return result.exit_code, result.stdout, result.stderr

    def balance(self) -> int:
        return int(self.deployment.token.functions.balanceOf(self.account.address).call())

    def status(self) -> dict[str, str]:
        result = CliRunner().invoke(main, ["stake", "status", "--operator", self.account.address,
                                           "--json", *self.target])
        assert result.exit_code == 0, result.stderr
        document: dict[str, str] = json.loads(result.stdout)
        return document


@pytest.fixture
def operator(deployment: PoolDeployment, tmp_path: Path) -> Operator:
    found = Operator(deployment, deployment.account(1), tmp_path / "keys")
    deployment.chain.send(deployment.token.functions.mint(found.account.address,
                                                          150_000 * TOKEN), deployment.owner)
    return found


def test_lock_relock_claim_unlock_withdraw(deployment: PoolDeployment,
                                           operator: Operator) -> None:
    chain, owner = deployment.chain, deployment.owner
    assert operator.status()["status"] == "none"

    code, out, err = operator.stake("lock", "20000.5", "--signer", SIGNER)
    assert code == 0, err
    for line in (f"operator:         {operator.account.address}",
                 f"pool:             {deployment.pool.address}",
                 f"token:            {deployment.token.address} (ORDO)",
                 "amount:           20,000.5 ORDO", f"signer:           {SIGNER}",
                 "current lock:     0 ORDO (none)", "approve first:    20,000.5 ORDO to the pool"):
        assert line in out, out
    assert "lock done in L1 block" in out
    record = deployment.sequencer(operator.account.address)
    assert (record["amount"], record["signer"], record["status"]) == (
        20_000_500_000_000_000_000_000, SIGNER, 1)

    # The lock used up the allowance, so relock approves again.
    code, out, err = operator.stake("relock", "1000")
    assert code == 0, err
    assert "approve first:    1,000 ORDO to the pool" in out
    assert "current lock:     20,000.5 ORDO (active)" in out
    assert deployment.sequencer(operator.account.address)["amount"] == 21_000_500 * TOKEN // 1000

    # Rewards: the stake counts from the next epoch; the owner funds the reserve and an inbox
    # credits the signer.
    deployment.advance_epoch()
    inbox = deployment.account(9)
    chain.send(deployment.pool.functions.set_inbox(inbox.address), owner)
    chain.send(deployment.token.functions.mint(owner.address, 1_000 * TOKEN), owner)
    chain.send(deployment.token.functions.approve(deployment.pool.address, 1_000 * TOKEN), owner)
    chain.send(deployment.pool.functions.fund_reserve(1_000 * TOKEN), owner)
    chain.send(deployment.pool.functions.credit_reward(SIGNER, 1_000), inbox)
    owed = deployment.sequencer(operator.account.address)["rewards_owed"]
    assert owed > 0
    assert operator.status()["rewards_claimable"] == str(owed)
    before = operator.balance()
    code, out, err = operator.stake("claim")
    assert code == 0, err
    assert "claim_rewards done" in out
    assert operator.balance() == before + owed

    code, out, err = operator.stake("unlock")
    assert code == 0, err
    assert f"exit delay:       {EXIT_DELAY} s, then the next epoch change" in out
    status = operator.status()
    assert status["status"] == "exiting" and status["can_withdraw"] is False

    code, _, err = operator.stake("withdraw")
    assert code == 1
    assert err.startswith("error: the exit delay is not over: withdrawable from L1 time ")
    chain.increase_time(EXIT_DELAY)
    code, _, err = operator.stake("withdraw")
    assert (code, err) == (1, "error: the stake still counts in epoch 1; withdraw once the "
                              "pool has advanced to the next epoch\n")
    chain.increase_time(EPOCH_INTERVAL)
    chain.send(deployment.pool.functions.advance_epoch(), owner)
    before = operator.balance()
    code, out, err = operator.stake("withdraw")
    assert code == 0, err
    assert operator.balance() == before + 21_000_500 * TOKEN // 1000
    assert operator.status()["status"] == "none"


def test_refusals_are_one_line_and_send_nothing(deployment: PoolDeployment,
                                               operator: Operator, tmp_path: Path) -> None:
    code, _, err = operator.stake("lock", "100", "--signer", SIGNER)
    assert (code, err) == (1, "error: amount: 100 ORDO is below the pool's minimum lock; "
                              "allowed: 20,000 ORDO to 100,000 ORDO\n")
    code, _, err = operator.stake("lock", "100000.000000000000000001", "--signer", SIGNER)
    assert (code, err) == (1, "error: amount: 100,000.000000000000000001 ORDO is above the "
                              "pool's maximum lock; allowed: 20,000 ORDO to 100,000 ORDO\n")
    code, _, err = operator.stake("lock", "twenty", "--signer", SIGNER)
    assert code == 2 and err.startswith("error: amount: 'twenty' is not a number; allowed is")
    code, _, err = operator.stake("unlock")
    assert code == 1 and "has no lock in the pool; use `ordo stake lock` first" in err
    code, _, err = operator.stake("claim")
    assert code == 1 and "is not a sequencer of this pool; nothing to claim" in err

    code, out, err = operator.stake("lock", "20000", "--signer", SIGNER, confirm=False,
                                    answer="n\n")
    assert (code, err.splitlines()[-1]) == (1, "error: not confirmed; nothing was sent (--yes "
                                               "sends without asking)")
    assert "amount:           20,000 ORDO" in out
    assert deployment.sequencer(operator.account.address)["status"] == 0
    assert operator.balance() == 150_000 * TOKEN

    code, _, err = operator.stake("lock", "20000", "--signer", SIGNER, confirm=False,
                                  answer="y\n")
    assert code == 0, err
    code, _, err = operator.stake("relock", "80000.5")
    assert (code, err) == (1, "error: amount: 80,000.5 ORDO would make the lock 100,000.5 ORDO, "
                              "above the pool's maximum of 100,000 ORDO; allowed is at most "
                              "80,000 ORDO more\n")

    # A second operator naming the same signer: the pool's own reason, from its revert.
    other = Operator(deployment, deployment.account(2), tmp_path / "other")
    deployment.chain.send(deployment.token.functions.mint(other.account.address, 30_000 * TOKEN),
                          deployment.owner)
    code, _, err = other.stake("lock", "20000", "--signer", SIGNER)
    assert (code, err) == (1, "error: lock refused: LockingPool: signer already registered\n")
    code, _, err = other.stake("lock", "40000", "--signer", "0x" + "77" * 20)
    assert code == 1
    assert err == (f"error: amount: 40,000 ORDO is more than the balance of "
                   f"{other.account.address.lower()}, 30,000 ORDO\n")


def test_target_and_key_mistakes_exit_2(deployment: PoolDeployment, operator: Operator,
                                        tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["stake", "unlock", "--pool", deployment.pool.address,
                                  "--key", str(operator.keystore)], env={"ORDO_L1_RPC": ""})
    assert (result.exit_code, result.stderr) == (
        2, "error: l1_rpc: not given (looked in the option); pass --l1-rpc URL\n")
    result = runner.invoke(main, ["stake", "status", "--operator", "0x12", *operator.target])
    assert (result.exit_code, result.stderr) == (
        2, "error: operator: '0x12' is not allowed; use a 0x-prefixed 20-byte hex address\n")
    result = runner.invoke(main, ["stake", "unlock", *operator.target])
    assert result.exit_code == 2 and result.stderr.startswith("error: key: not given; pass --key")
    result = runner.invoke(main, ["stake", "status", "--operator", operator.account.address,
                                  "--l1-rpc", operator.target[1], "--pool",
                                  deployment.token.address])
    assert result.exit_code == 1 and "does not answer as a LockingPool" in result.stderr
    # The pool and the RPC URL can come from the node's config file instead.
    config = tmp_path / "config.toml"
    config.write_text(f'[node]\nl1_rpc = "{operator.target[1]}"\n[stake]\nlocking_pool = '
                      f'"{deployment.pool.address}"\noperator_key = "{operator.keystore}"\n')
    result = runner.invoke(main, ["stake", "status", "--config", str(config)])
    assert result.exit_code == 0, result.stderr
    assert f"operator:             {operator.account.address}" in result.stdout
    assert "status:               none" in result.stdout


@pytest.mark.parametrize(("text", "units"), [
    ("20000", 20_000 * TOKEN), ("20000.5", 20_000_500 * TOKEN // 1000),
    ("0.000000000000000001", 1), ("1_000", 1_000 * TOKEN),
])
def test_amounts_convert_exactly(text: str, units: int) -> None:
    assert parse_token_amount(text, 18) == units
    assert parse_token_amount(format_token_amount(units, 18).replace(",", ""), 18) == units


@pytest.mark.parametrize(("text", "problem"), [
    ("0", "is not allowed"), ("-5", "is not allowed"), ("1e3", "is not allowed"),
    ("nan", "is not allowed"), ("1.0000000000000000001", "more than 18 digits"),
    ("abc", "is not a number"), ("1" * 80, "too large for a uint256"),
])
def test_bad_amounts_are_refused(text: str, problem: str) -> None:
    with pytest.raises(AmountError, match=problem):
        parse_token_amount(text, 18)
