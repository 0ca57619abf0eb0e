"""Gas of each call of the game at the deployments' depth (2^32 steps per block, 43 levels):
open, moves in the output and in the step half, the step call (with the test verifier), each
kind of resolution, the lost root's resolve (removal and three signers slashed) and a credit
claim. Printed for the report (pytest -s) and held under bounds that leave the L1 block gas
far away."""

from __future__ import annotations

from tests.l1_contracts.anvil_chain import AnvilChain

from .game_setup import DEFENDED, LOST, MAX_CLOCK, deploy_dispute_setup, send_one
from .players import Honest, Opponent, Sent, attack_wrong, play, wrong
from .toy_trace import SPLIT_DEPTH


def test_gas_of_a_full_game_at_the_deployment_depth(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=32)
    defender, griefer, resolver = chain.accounts[4], chain.accounts[5], chain.accounts[6]
    batch = setup.toy(0, 20)
    header = setup.land(0, 1, 20, batch.root())
    header_hash = setup.rollup.digest(header)
    opened = send_one(chain, setup.open_call(0, header_hash, wrong(batch.truth(2), 7)), griefer,
                      setup.bond(1))
    honest = Honest(setup, batch, defender, 1, header_hash)
    opponent = Opponent(setup, batch, griefer, defender, 1, header_hash, attack_wrong)
    sent: Sent = []
    claims = play(setup, honest, opponent, sent=sent)
    assert claims == 1 + 43, "one path down to the max depth, where the defender steps"
    gas: dict[str, list[int]] = {"move, output half": [], "move, step half": [], "step": []}
    for call, receipt in sent:
        if call.fn_name == "step":
            gas["step"].append(receipt["gasUsed"])
            continue
        parent = setup.claims(1)[call.args[2]]
        half = "output" if parent.position.bit_length() - 1 < SPLIT_DEPTH else "step"
        gas[f"move, {half} half"].append(receipt["gasUsed"])
    assert len(gas["step"]) == 1
    # a second batch with a wrong root, disputed and left unanswered: lost
    wrong_batch = setup.land(1, 21, 3, b"\x66" * 32)
    send_one(chain, setup.open_call(1, setup.rollup.digest(wrong_batch), b"\x67" * 32), defender,
             setup.bond(1))
    chain.increase_time(MAX_CLOCK + 1)
    resolutions = []
    for game_id in (1, 2):
        for claim in sorted(setup.claims(game_id), key=lambda claim: -claim.position):
            receipt = send_one(chain, setup.game.functions.resolve_claim(game_id, claim.index, 0),
                               resolver)
            resolutions.append(receipt["gasUsed"])
    defended = send_one(chain, setup.game.functions.resolve(1, []), resolver)
    lost = send_one(chain, setup.game.functions.resolve(2, setup.signer_list()), resolver)
    assert (setup.status(1), setup.status(2)) == (DEFENDED, LOST)
    credited = send_one(chain, setup.game.functions.claim_credit(defender.address), resolver)
    report = {
        "open": opened["gasUsed"],
        **{name: max(values) for name, values in gas.items()},
        "resolve_claim (largest)": max(resolutions),
        "resolve, defended": defended["gasUsed"],
        "resolve, lost (removal + 3 signers slashed)": lost["gasUsed"],
        "claim_credit (ETH and tokens)": credited["gasUsed"],
    }
    for name, value in report.items():
        print(f"{name}: {value:,}")
    assert report["open"] < 600_000
    assert report["move, output half"] < 350_000
    assert report["move, step half"] < 350_000
    assert report["step"] < 2_000_000
    assert report["resolve_claim (largest)"] < 250_000
    assert report["resolve, lost (removal + 3 signers slashed)"] < 500_000
    assert report["claim_credit (ETH and tokens)"] < 120_000
