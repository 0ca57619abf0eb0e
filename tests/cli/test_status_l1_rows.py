"""``ordo status`` on L1-anchored networks, fed ordo_status answers recorded from a node.

recorded_status_l1.json is node 0 of tests/l1_network's cluster (anvil, 4 staked sequencers)
answering ordo_status; recorded_status_no_l1.json is the same answer without ``l1``, which is
what a node of a network not anchored to L1 sends. Variants (an exiting sequencer, a batcher)
are made from the recording by changing only the fields they are about.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ordo.cli import main
from ordo.l1.verifier_completeness import INCOMPLETE_VERIFIER_NOTE
from ordo.operator.l1_status_summary import L1StatusError, read_l1_summary
from ordo.operator.status_rows import status_rows

HERE = Path(__file__).parent
NOW = 1_800_000_000.0
BATCHER = {"lastBatchIndex": 7, "lastBatchL1Tx": "0x" + "ab" * 32, "lastBatchL1Block": 120,
           "batchesPosted": 8, "l1GasSpent": 1_234_567, "lastPostedAt": int(NOW) - 30}


def recorded(name: str) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads((HERE / name).read_text())
    return answer


def rows_of(answer: dict[str, Any]) -> dict[str, str]:
    rows = status_rows(answer, NOW)
    assert len({name for name, _ in rows}) == len(rows), "a row name appears twice"
    return dict(rows)


@pytest.fixture
def node_answering() -> Iterator[list[dict[str, Any]]]:
    """A stand-in node whose ordo_status answer is the last item the test puts in the list."""
    answers: list[dict[str, Any]] = []

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": answers[-1]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    answers.append({"url": f"http://127.0.0.1:{server.server_address[1]}"})
    try:
        yield answers
    finally:
        server.shutdown()
        server.server_close()


def table_rows(output: str) -> dict[str, str]:
    rows = {}
    for line in output.splitlines():
        parts = [part.strip() for part in line.strip("│ ").split("│")]
        if len(parts) == 2:
            rows[parts[0]] = parts[1]
    return rows


def test_the_table_shows_l1_lock_rewards_and_exit(node_answering: list[dict[str, Any]]) -> None:
    url = node_answering[0]["url"]
    node_answering.append(recorded("recorded_status_l1.json"))
    result = CliRunner().invoke(main, ["status", "--rpc", url])
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    assert rows["height"] == "1" and rows["producer"].startswith("0x748f5252")
    assert rows["L1"] == "http://127.0.0.1:55457/"
    assert rows["L1 head"] == "15, finalized —, origin 13 (confirmed)"
    assert rows["L1 deep reorgs"] == "—"
    assert rows["faults"] == "— (not reported)"
    assert rows["L1 epoch"] == "1, read 0 s ago"
    assert rows["lock"] == "50,000 tokens (active, in the current set)"
    assert rows["rewards"] == "0 tokens owed, 0 tokens claimable"
    assert rows["exit"] == "not exiting"
    assert rows["last L1 batch"] == "— (no batcher reported)"


def test_json_is_the_raw_answer(node_answering: list[dict[str, Any]]) -> None:
    url = node_answering[0]["url"]
    for name in ("recorded_status_l1.json", "recorded_status_no_l1.json"):
        node_answering.append(recorded(name))
        result = CliRunner().invoke(main, ["status", "--rpc", url, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == recorded(name)


def test_without_l1_the_rows_say_so() -> None:
    rows = rows_of(recorded("recorded_status_no_l1.json"))
    assert rows["L1"] == "— (not anchored to L1: ordo_status has no l1)"
    assert rows["last L1 batch"] == "—"
    assert "lock" not in rows and "rewards" not in rows


def test_fault_counters_finality_and_deep_reorgs_are_shown() -> None:
    answer = recorded("recorded_status_l1.json")
    answer["faults"] = {"write_refusals": 3, "disk_full_waits": 2, "commit_failures": 1}
    answer["l1"].update(finalized=7, deepReorgs=2)
    rows = rows_of(answer)
    assert rows["faults"] == "3 write refusals, 2 disk full waits, 1 commit failures"
    assert rows["L1 head"] == "15, finalized 7, origin 13 (confirmed)"
    assert rows["L1 deep reorgs"] == "2"


def test_a_batcher_is_shown_when_the_node_reports_one() -> None:
    answer = recorded("recorded_status_l1.json")
    answer["l1"]["batcher"] = BATCHER
    rows = rows_of(answer)
    assert rows["last L1 batch"] == (f"#7 in L1 block 120, tx 0x{'ab' * 32}, posted "
                                     "2027-01-15 07:59:30 UTC (30 s ago)")
    assert rows["batches posted"] == "8, L1 gas spent 1,234,567"
    answer["l1"]["batcher"] = {"batchesPosted": "0x0"}
    rows = rows_of(answer)
    assert rows["last L1 batch"] == "—"
    assert rows["batches posted"] == "0, L1 gas spent —"


def test_exit_states_follow_the_pool_record() -> None:
    answer = recorded("recorded_status_l1.json")
    own = answer["l1"]["staking"]["view"]["own"]
    own.update(status="exiting", withdrawable_at=1000, seconds_until_withdrawable=600,
               rewards_owed="1500000000000000000", rewards_claimable="1000000000000000000")
    answer["l1"]["staking"]["view"]["own_in_set"] = False
    rows = rows_of(answer)
    assert rows["lock"] == "50,000 tokens (exiting, not in the current set)"
    assert rows["rewards"] == "1.5 tokens owed, 1 tokens claimable"
    assert rows["exit"] == "exiting: withdrawable in 600 s"
    own.update(seconds_until_withdrawable=0)
    assert rows_of(answer)["exit"] == ("exiting: delay over, withdrawable after the next L1 "
                                       "epoch change")
    own.update(can_withdraw=True)
    assert rows_of(answer)["exit"] == "exiting: withdrawable now"


def test_missing_staking_parts_are_explained() -> None:
    answer = recorded("recorded_status_l1.json")
    unread = copy.deepcopy(answer)
    unread["l1"]["staking"] = {"view": None, "age_seconds": None, "error": "L1 timed out"}
    assert rows_of(unread)["lock"] == "— (staking view not read yet: L1 timed out)"
    no_key = copy.deepcopy(answer)
    del no_key["l1"]["staking"]
    assert rows_of(no_key)["rewards"] == "— (this node has no signer key)"
    unregistered = copy.deepcopy(answer)
    unregistered["l1"]["staking"]["view"]["own"] = None
    assert rows_of(unregistered)["lock"] == ("— (signer 0x8fb9146452b2cfe1a814ca3496dd8f23901dba"
                                             "bd is not registered in the pool)")


@pytest.mark.parametrize(("change", "message"), [
    (lambda l1: l1.update(head="soon"), "l1.head: 'soon' is not a non-negative integer"),
    (lambda l1: l1["staking"]["view"]["own"].update(status="gone"),
     "l1.staking.view.own.status: 'gone' is not active, exiting or none"),
    (lambda l1: l1["staking"]["view"]["own"].update(locked=-1), "own.locked: -1 is negative"),
    (lambda l1: l1.update(batcher=[1]), "l1.batcher: [1] is not an object"),
])
def test_a_malformed_l1_object_is_named(change: Any, message: str) -> None:
    answer = recorded("recorded_status_l1.json")
    change(answer["l1"])
    with pytest.raises(L1StatusError) as raised:
        read_l1_summary(answer["l1"])
    assert message in str(raised.value)
    assert rows_of(answer)["L1"] == f"— (unreadable: {raised.value})"


def settled_answer() -> dict[str, Any]:
    """Node 0 of the anvil cluster once batch 1 had landed (tests/dashboard's recording)."""
    path = HERE.parent / "dashboard" / "recorded_status_l1_settlement.json"
    answer: dict[str, Any] = json.loads(path.read_text())
    return answer


def test_settlement_rows_show_the_latest_output_and_its_window() -> None:
    answer = settled_answer()
    rows = rows_of(answer)
    assert rows["settlement"] == (
        "batch #1 (L2 block 12), output root "
        "0x1fe0c16408a4fae3143bb2d0536e7fc283337bd44677468c5e8a32eef45e9448: window ends in "
        "30 s")
    assert rows["portal balance"] == "0.25 ETH"
    assert "dispute game" not in rows, "the recorded node's inbox names no game"
    settlement = answer["l1"]["settlement"]
    settlement["disputeGame"] = "0x" + "ab" * 20
    assert rows_of(answer)["dispute game"] == "0x" + "ab" * 20
    assert "step verifier" not in rows_of(answer), "a node that does not say: no row"
    settlement["stepVerifierComplete"] = False
    assert rows_of(answer)["step verifier"] == INCOMPLETE_VERIFIER_NOTE
    settlement["stepVerifierComplete"] = True
    assert "step verifier" not in rows_of(answer)
    settlement.update(secondsLeft=0, dispute="open", disputeStatus=1)
    assert rows_of(answer)["settlement"].endswith(": window over; dispute open")
    settlement.update(final=True, dispute="defended", disputeStatus=3,
                      error="eth_blockNumber: connection refused")
    assert rows_of(answer)["settlement"].endswith(
        ": final; refresh failed: eth_blockNumber: connection refused")
    answer["l1"]["settlement"] = {key: None for key in settlement} | {"error": "timed out"}
    assert rows_of(answer)["settlement"] == "— (not read from L1 yet; refresh failed: timed out)"
    assert "portal balance" not in rows_of(answer)
    assert "settlement" not in rows_of(recorded("recorded_status_l1.json")), \
        "a node that reports no settlement gets no row"


def test_economics_rows_show_each_sequencers_epoch() -> None:
    """A node of a chain with the L1 data fee adds ``economics`` (ordo.node.fee_book)."""
    answer = json.loads((HERE / "recorded_status_no_l1.json").read_text())
    plain = status_rows(answer, NOW)
    assert not any(name.startswith("fees") for name, _ in plain)
    answer["economics"] = {
        "current": {"epoch": 3, "since": 18, "vaultIncome": str(25 * 10**15), "sequencers": [
            {"address": "0x" + "aa" * 20, "blocksProduced": 2, "l2FeesEarned": str(10**15)}]},
        "previous": None}
    rows = dict(status_rows(answer, NOW))
    assert rows["fees, this epoch"] == "epoch 3: vault +0.025000 ETH (from block 18)"
    assert rows["  0x" + "aa" * 20] == "2 blocks, 0.001000 ETH tips"
    assert "fees, last epoch" not in rows
