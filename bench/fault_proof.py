"""What the on-chain step verifier decides today, and what a dispute game costs on L1.

1. The step corpus: the programs and the engine-built blocks the tests of tests/l1_step/ and
   tests/faultproof/ use (their own builders, imported: the opcode corpus, the frame and
   creation programs, the largest memory steps, the devnet blocks of calls, creations,
   precompiles, EIP-7702, long access lists, the L1 data fee, and a block whose forced items
   come from a real ForcedInclusionQueue). Each is traced by the Python tracer
   (src/ordo/faultproof/) and each distinct step (its pre-state and witness) is sent to the
   StepRouter that ``ordo.l1.step_verifier_deploy`` deploys on anvil, one deployment per chain
   rules. A step is *decided* when the router returns the tracer's post-state, *refused* when it
   reverts as not verifiable yet (a hole, counted by kind and reason), a *mismatch* otherwise (a
   different post-state, or an honest witness refused for another reason): a bug, reported on
   stderr, and the bench exits 1. The worst gas per kind (phase, and opcode for phase 3) is the
   highest ``eth_estimateGas`` of the two longest witnesses of that kind.
2. A full game: the real DisputeGame (wired as tests/l1_dispute's setup does) calling that
   StepRouter, over a batch of engine-built blocks landed on the inbox. Game "wrong root": three
   of four sequencers sign a wrong output root; the honest player opens the game and bisects down
   to the max depth (43 levels: 2^32 steps per block) against a liar who counters every claim;
   clocks run out, the game resolves (the root removed, the signers slashed) and the winner
   claims its credit. Game "right root": a griefer disputes a right root and attacks to the max
   depth, where the defender steps on chain through the StepRouter. Gas, bonds and moves are
   reported per side.

Prints one JSON document and writes ``bench/results/fault_proof-<UTC date>.json`` (date, commit,
machine) unless ``--no-write``. Not part of ``make test``; ``make fault-proof-bench`` runs it.

    .venv/bin/python bench/fault_proof.py [--no-game] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the corpus builders and anvil fixtures live in tests/

from bridge_gas import git_commit, machine  # noqa: E402
from eth.vm import opcode_values  # noqa: E402
from eth_hash.auto import keccak  # noqa: E402
from tests.faultproof import (  # noqa: E402
    test_block_7702,
    test_block_calls,
    test_block_create,
    test_block_l1_fee,
    test_block_parts,
    test_block_precompile,
    test_block_trace,
)
from tests.faultproof.block_chain import DevChain, rules_of  # noqa: E402
from tests.faultproof.corpus import CASES  # noqa: E402
from tests.l1_contracts.anvil_chain import AnvilChain, running_anvil  # noqa: E402
from tests.l1_step import (  # noqa: E402
    test_step_block_end,
    test_step_block_start,
    test_step_frames,
    test_step_tx_end,
)
from tests.l1_step.anchored_chain import anchored_chain, anchored_trace  # noqa: E402
from tests.l1_step.step_gas import LARGEST  # noqa: E402
from tests.l1_step.verifier import (  # noqa: E402
    Verifier,
    deploy_verifier,
    on_chain,
    step_gas,
    trace_case,
)

from ordo.core.genesis import devnet_genesis  # noqa: E402
from ordo.faultproof.block_parts import ChainRules  # noqa: E402
from ordo.faultproof.block_witness import decode_block_step  # noqa: E402
from ordo.faultproof.machine_state import (  # noqa: E402
    PHASE_BLOCK_END,
    PHASE_BLOCK_START,
    PHASE_DONE,
    PHASE_EVM,
    PHASE_TX_END,
    PHASE_TX_START,
    Frame,
)
from ordo.faultproof.opcodes import OPS  # noqa: E402
from ordo.faultproof.witness_codec import decode_witness  # noqa: E402

PHASE_NAMES = {PHASE_BLOCK_START: "block start", PHASE_TX_START: "transaction start",
               PHASE_EVM: "instruction", PHASE_TX_END: "transaction end",
               PHASE_BLOCK_END: "block end", PHASE_DONE: "final state"}
GAS_SAMPLES = 2
"""Per kind, the steps with the longest witnesses whose gas is estimated."""
OPCODE_NAMES = {value: name for name, value in vars(opcode_values).items()
                if name.isupper() and isinstance(value, int)}
"""py-evm's names, for the frame instructions the tracer's own table leaves out (and 0xFE,
the designated INVALID)."""
OPCODE_NAMES[0xFE] = "INVALID"


@dataclass(frozen=True)
class CorpusStep:
    source: str
    kind: str
    phase: int
    pre: bytes
    post: bytes
    witness: bytes
    verifier: Verifier


def _built(fixture: Callable[[], Any]) -> Any:
    """A test module's zero-argument builder, also when it is a pytest fixture (its function is
    called, not copied)."""
    return getattr(fixture, "__wrapped__", fixture)()


def _instruction_kind(witness: bytes) -> str:
    state, proofs = decode_witness(witness)
    frame = state.frame
    assert isinstance(frame, Frame)
    opcode = proofs.code.cell[frame.pc % 32]
    name = OPS[opcode].name if opcode in OPS else \
        OPCODE_NAMES.get(opcode, f"undefined 0x{opcode:02x}")
    return f"instruction {name}"


def _block_kind(phase: int, witness: bytes, l1_fee: bool) -> str:
    if phase == PHASE_EVM:
        return _instruction_kind(witness)
    if phase == PHASE_TX_START:
        state, _ = decode_block_step(witness, l1_fee)
        return "transaction start (started: sub-step)" if state.frame is not None else \
            "transaction start (first sub-step)"
    return PHASE_NAMES[phase]


class Corpus:
    """The distinct steps, each with the verifier deployed for its chain's rules."""

    def __init__(self, chain: AnvilChain) -> None:
        self.chain = chain
        self.verifiers: dict[tuple[ChainRules, bytes], Verifier] = {}
        self.steps: dict[bytes, CorpusStep] = {}
        self.traced: Counter[str] = Counter()

    def verifier(self, rules: ChainRules, queue: bytes = bytes(20)) -> Verifier:
        key = (rules, queue)
        if key not in self.verifiers:
            self.verifiers[key] = deploy_verifier(self.chain, rules, queue)
        return self.verifiers[key]

    def add(self, source: str, kind: str, phase: int, pre: bytes, post: bytes, witness: bytes,
            verifier: Verifier) -> None:
        self.traced[source] += 1
        key = keccak(pre + witness)
        if key not in self.steps:
            self.steps[key] = CorpusStep(source, kind, phase, pre, post, witness, verifier)

    def add_block_chain(self, source: str, c: DevChain, verifier: Verifier | None = None) -> None:
        rules = rules_of(c.genesis)
        verifier = verifier or self.verifier(rules)
        for number in range(1, len(c.blocks)):
            trace = c.trace(number)
            for index, step in enumerate(trace.steps):
                witness = trace.witness(index)
                self.add(source, _block_kind(step.phase, witness, rules.l1_fee), step.phase,
                         step.pre, step.post, witness, verifier)


def build_corpus(chain: AnvilChain) -> Corpus:
    corpus = Corpus(chain)
    plain = corpus.verifier(rules_of(devnet_genesis()))
    for case in (*CASES, *LARGEST):
        for traced in trace_case(case).steps:
            corpus.add("programs: opcode corpus", _instruction_kind(traced.witness), PHASE_EVM,
                       traced.pre, traced.post, traced.witness, plain)
    for _name, code, others in test_step_frames._programs():
        for traced in test_step_frames._steps(code, others):
            corpus.add("programs: frames and creations", _instruction_kind(traced.witness),
                       PHASE_EVM, traced.pre, traced.post, traced.witness, plain)
    chains: list[tuple[str, Callable[[], Any]]] = [
        ("blocks: transfers (l1_step block end)", test_step_block_end.blocks),
        ("blocks: five blocks (l1_step block start)", test_step_block_start.blocks),
        ("blocks: ledger calls (l1_step transaction end)", test_step_tx_end.ends),
        ("blocks: calls, reverts, coinbases (faultproof block trace)", test_block_trace.chain),
        ("blocks: token, forwarder, factory (faultproof block calls)", test_block_calls.chain),
        ("blocks: creations (faultproof block create)", test_block_create.chain),
        ("blocks: precompile transactions", test_block_precompile.chain),
        ("blocks: EIP-7702 delegations", test_block_7702.delegating_chain),
        ("blocks: a long access list", test_block_parts.long_access_list_chain),
        ("blocks: L1 data fee chain", test_block_l1_fee.chain),
    ]
    for source, builder in chains:
        built = _built(builder)
        corpus.add_block_chain(source, built if isinstance(built, DevChain) else built.chain)
        print(f"traced {source}", file=sys.stderr)
    anchored = anchored_chain(chain, plain)
    genesis_l1 = anchored.chain.genesis.l1
    assert genesis_l1 is not None and genesis_l1.forced_queue is not None
    queued = corpus.verifier(rules_of(anchored.chain.genesis), genesis_l1.forced_queue)
    trace = anchored_trace(anchored)
    l1_fee = rules_of(anchored.chain.genesis).l1_fee
    for index, step in enumerate(trace.steps):
        witness = trace.witness(index)
        corpus.add("blocks: forced items from a real L1 queue", _block_kind(
            step.phase, witness, l1_fee), step.phase, step.pre, step.post, witness, queued)
    return corpus


def _refusal(result: bytes | str) -> bool:
    return isinstance(result, str) and "not verifiable" in result


def run_steps(corpus: Corpus) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    decided: Counter[str] = Counter()
    holes: Counter[tuple[str, str]] = Counter()
    mismatches: list[dict[str, Any]] = []
    per_source: dict[str, Counter[str]] = defaultdict(Counter)
    decided_steps: dict[str, list[CorpusStep]] = defaultdict(list)
    started = time.monotonic()
    for number, step in enumerate(corpus.steps.values(), 1):
        result = on_chain(step.verifier, step.pre, step.witness)
        if result == step.post:
            decided[step.kind] += 1
            per_source[step.source]["decided"] += 1
            decided_steps[step.kind].append(step)
        elif _refusal(result):
            assert isinstance(result, str)
            holes[(step.kind, result)] += 1
            per_source[step.source]["refused"] += 1
        else:
            per_source[step.source]["mismatch"] += 1
            mismatches.append({"source": step.source, "kind": step.kind,
                               "pre": "0x" + step.pre.hex(), "expected": "0x" + step.post.hex(),
                               "got": result if isinstance(result, str) else
                               "0x" + result.hex()})
            print(f"MISMATCH {step.source} {step.kind}: {mismatches[-1]['got']}",
                  file=sys.stderr)
        if number % 500 == 0:
            print(f"{number}/{len(corpus.steps)} steps on chain", file=sys.stderr)
    worst: dict[str, dict[str, int]] = {}
    for kind, steps in sorted(decided_steps.items()):
        longest = sorted(steps, key=lambda s: -len(s.witness))[:GAS_SAMPLES]
        measured = [(step_gas(s.verifier, s.pre, s.witness), len(s.witness)) for s in longest]
        gas, size = max(measured)
        worst[kind] = {"gas": gas, "witness_bytes": size, "steps": len(steps)}
    heaviest = max(worst.items(), key=lambda item: item[1]["gas"])
    report = {
        "traced_steps": sum(corpus.traced.values()),
        "distinct_steps": len(corpus.steps),
        "decided": sum(decided.values()),
        "refused_not_verifiable_yet": sum(holes.values()),
        "mismatches": len(mismatches),
        "mismatches_by_kind": dict(Counter(f"{m['source']}: {m['kind']}: {m['got'][:80]}"
                                           for m in mismatches)),
        "decided_kinds": len(decided),
        "holes": [{"kind": kind, "reason": reason, "steps": count}
                  for (kind, reason), count in sorted(holes.items(), key=lambda i: -i[1])],
        "per_source": {source: {"traced": corpus.traced[source], **counts}
                       for source, counts in per_source.items()},
        "worst_step": {"kind": heaviest[0], **heaviest[1]},
        "worst_gas_per_kind": dict(sorted(worst.items(), key=lambda item: -item[1]["gas"])),
        "on_chain_s": round(time.monotonic() - started, 1),
        "verifier_deployments": len(corpus.verifiers),
    }
    return report, mismatches


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-game", action="store_true", help="the step corpus only")
    parser.add_argument("--results-dir", type=Path, default=REPO_ROOT / "bench/results")
    parser.add_argument("--no-write", action="store_true", help="print only, write no file")
    return parser.parse_args(argv)


def measure(chain: AnvilChain, with_game: bool) -> tuple[dict[str, Any], int]:
    corpus = build_corpus(chain)
    print(f"{len(corpus.steps)} distinct steps of {sum(corpus.traced.values())} traced",
          file=sys.stderr)
    steps, mismatches = run_steps(corpus)
    measured: dict[str, Any] = {"steps": steps}
    if mismatches:
        measured["mismatch_details"] = mismatches[:20]
    if with_game:
        from fault_proof_game import play_games

        measured["games"] = play_games(chain, corpus.verifier(rules_of(devnet_genesis())),
                                       lambda line: print(line, file=sys.stderr))
    return measured, len(mismatches)


def main() -> None:
    arguments = parse_arguments()
    started = datetime.now(UTC)
    clock = time.monotonic()
    with running_anvil(Path(tempfile.mkdtemp()) / "anvil.log") as chain:
        measured, mismatches = measure(chain, not arguments.no_game)
    result = {
        "bench": "fault_proof", "date": started.date().isoformat(),
        "started_utc": started.isoformat(timespec="seconds"), "commit": git_commit(),
        "machine": machine(), "settings": {"l1": "anvil --hardfork prague (automine)"},
        **measured, "run_s": round(time.monotonic() - clock, 1),
    }
    document = json.dumps(result, indent=2)
    if not arguments.no_write:
        arguments.results_dir.mkdir(parents=True, exist_ok=True)
        path = arguments.results_dir / f"fault_proof-{result['date']}.json"
        path.write_text(document + "\n")
        print(f"wrote {path}", file=sys.stderr)
    print(document)
    if mismatches:
        sys.exit(f"{mismatches} steps where the on-chain verifier disagrees with the tracer")


if __name__ == "__main__":
    main()
