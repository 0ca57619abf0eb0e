"""``ordo dispute`` by hand on anvil: open a game against a colluders' batch, list and show it
(JSON), counter a claim, and the refusals (a game that does not exist, a move the contract
refuses with its reason, resolving before the clocks ran out)."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from ordo.cli import main
from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_dispute.game_setup import deploy_dispute_setup
from tests.l1_dispute.players import wrong


def ordo(chain: AnvilChain, inbox: str, *arguments: str) -> Result:
    url = str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    return CliRunner().invoke(main, [*arguments, "--l1-rpc", url, "--inbox", inbox])


def document(result: Result) -> Any:
    assert result.exit_code == 0, result.output + str(result.exception)
    return json.loads(result.output)


def test_a_person_opens_lists_shows_and_moves(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    first = setup.toy(0, 3)
    setup.land(0, 1, 3, first.root())
    batch = setup.toy(1, 5)
    setup.land(1, 4, 5, wrong(batch.root(), 99))
    inbox = setup.inbox.address
    honest_value = "0x" + batch.truth(2).hex()

    opened = document(ordo(chain, inbox, "dispute", "open", "1", "--value", honest_value,
                           "--dev-account", "4", "--json"))
    assert opened["gameId"] == 1 and opened["action"] == "open"
    listed = document(ordo(chain, inbox, "dispute", "list", "--json"))
    assert [(g["gameId"], g["batchIndex"], g["status"], g["claims"]) for g in listed["games"]] \
        == [(1, 1, "open", 2)]
    assert listed["games"][0]["bonds"] == str(setup.bond(1))

    colluder_value = "0x" + wrong(batch.truth(4), 3).hex()
    moved = document(ordo(chain, inbox, "dispute", "move", "1", "--claim", "1", "--attack",
                          "--value", colluder_value, "--dev-account", "5", "--json"))
    assert moved["action"] == "move" and moved["gasUsed"] > 0
    shown = document(ordo(chain, inbox, "dispute", "show", "1", "--json"))
    claims = shown["claimList"]
    assert [(c["index"], c["parent"], c["position"], c["value"]) for c in claims[1:]] == \
        [(1, 0, 2, honest_value), (2, 1, 4, colluder_value)]
    assert claims[2]["claimant"] == chain.accounts[5].address.lower()
    assert claims[2]["bond"] == str(setup.bond(2))
    assert 0 < claims[2]["secondsToCounter"] <= 300
    assert claims[0]["honest"] is None  # no L2 source named: no honest view
    text = ordo(chain, inbox, "dispute", "show", "1")
    assert text.exit_code == 0 and "#2 <- #1 depth 2 pos 4" in text.output

    again = ordo(chain, inbox, "dispute", "move", "1", "--claim", "1", "--attack", "--value",
                 colluder_value, "--dev-account", "5")
    assert again.exit_code == 1
    assert "the same claim is already made there" in again.output
    missing = ordo(chain, inbox, "dispute", "show", "7")
    assert missing.exit_code == 2 and "game: 7 does not exist (games 1..1)" in missing.output
    early = ordo(chain, inbox, "dispute", "resolve", "1", "--dev-account", "4")
    assert early.exit_code == 2 and "nothing can be resolved now" in early.output
    no_value = ordo(chain, inbox, "dispute", "move", "1", "--claim", "2", "--dev-account", "4")
    assert no_value.exit_code == 2 and "pass --value HEX or --l2-rpc URL" in no_value.output
    no_credit = ordo(chain, inbox, "dispute", "claim", "--dev-account", "6")
    assert no_credit.exit_code == 2 and "has no credit" in no_credit.output


def test_the_standalone_challenger_refuses_what_it_cannot_run_with(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    inbox = setup.inbox.address
    no_l2 = ordo(chain, inbox, "challenger", "--dev-account", "4")
    assert no_l2.exit_code == 2 and "the challenger needs the honest chain" in no_l2.output
    no_key = ordo(chain, inbox, "challenger", "--l2-rpc", "http://127.0.0.1:9")
    assert no_key.exit_code == 2 and "key: not given" in no_key.output
    result = CliRunner().invoke(main, ["challenger", "--inbox", inbox, "--dev-account", "4"])
    assert result.exit_code == 2 and "--inbox needs --l1-rpc URL" in result.output
    derived = ordo(chain, inbox, "challenger", "--l2-data", "/nonexistent", "--dev-account", "4")
    assert derived.exit_code == 2 and "stops at the first batch that does not derive" in \
        derived.output
    empty = ordo(chain, inbox, "dispute", "list")
    assert empty.exit_code == 0 and empty.output.strip() == "no open games"
