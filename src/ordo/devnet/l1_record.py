"""``l1.json``: what a devnet put on its L1 (chain, contracts, who staked what, the origin).

The genesis names the pool, the rollup contracts and the origin block; this file adds what only
the devnet needs to resume without redeploying: the token, the deploy blocks, and which operator
staked for which node's signer. It is written before the genesis, so a genesis on disk always has
one. A devnet made before the rollup contracts were deployed has no ``inbox`` here (nor in its
genesis): it resumes without batch posting.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ordo.devnet.provision import DevnetSetupError
from ordo.l1.deploy import StakedSequencer, StakingDeployment
from ordo.l1.rollup_deploy import RollupDeployment


@dataclass(frozen=True)
class DevnetL1Record:
    chain_id: int
    deployment: StakingDeployment
    sequencers: tuple[StakedSequencer, ...]
    """In node order: sequencer i staked for node i's signer."""
    live_epoch: int
    """The L1 epoch whose set the genesis starts from."""
    origin_number: int
    origin_hash: bytes
    rollup: RollupDeployment | None = None
    """The inbox, forced-inclusion queue, portal and dispute game; None for a devnet made before
    they were deployed."""

    def to_json(self) -> dict[str, Any]:
        rollup = {} if self.rollup is None else self.rollup.record_fields()
        return {"chainId": self.chain_id, "deployment": self.deployment.to_json(), **rollup,
                "sequencers": [entry.to_json() for entry in self.sequencers],
                "liveEpoch": self.live_epoch, "originNumber": self.origin_number,
                "originHash": "0x" + self.origin_hash.hex()}

    @classmethod
    def from_json(cls, document: Any) -> DevnetL1Record:
        """ValueError names the bad field."""
        if not isinstance(document, dict):
            raise ValueError("expected a JSON object")
        missing = {"chainId", "deployment", "sequencers", "liveEpoch", "originNumber",
                   "originHash"} - set(document)
        if missing:
            raise ValueError(f"missing {', '.join(sorted(missing))}")
        sequencers = document["sequencers"]
        if not isinstance(sequencers, list) or not sequencers:
            raise ValueError("sequencers: expected a non-empty list")
        origin_hash = _hex_bytes(document["originHash"], 32, "originHash")
        return cls(chain_id=_number(document["chainId"], "chainId"),
                   deployment=StakingDeployment.from_json(document["deployment"]),
                   sequencers=tuple(_sequencer(entry, index)
                                    for index, entry in enumerate(sequencers)),
                   live_epoch=_number(document["liveEpoch"], "liveEpoch"),
                   origin_number=_number(document["originNumber"], "originNumber"),
                   origin_hash=origin_hash, rollup=_rollup(document))


def save_record(path: Path, record: DevnetL1Record) -> None:
    """Replace atomically: an interrupted first run may leave an older record behind."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(record.to_json(), indent=2) + "\n")
    os.replace(partial, path)


def load_record(path: Path) -> DevnetL1Record:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise DevnetSetupError(f"{path}: missing, but the genesis names an L1 locking pool; "
                               "restore it or remove the data dir to start a new "
                               "chain") from None
    except OSError as error:
        raise DevnetSetupError(f"{path}: cannot read: {error.strerror}") from None
    try:
        return DevnetL1Record.from_json(json.loads(text))
    except json.JSONDecodeError as error:
        raise DevnetSetupError(f"{path}: not valid JSON ({error.msg} at line "
                               f"{error.lineno})") from None
    except (ValueError, TypeError) as error:
        raise DevnetSetupError(f"{path}: {error}") from None


def _rollup(document: dict[str, Any]) -> RollupDeployment | None:
    names = ("inbox", "forcedQueue", "inboxDeployBlock")
    present = [name for name in names if name in document]
    if not present:
        return None
    if len(present) != len(names):
        missing = [name for name in names if name not in document]
        raise ValueError(f"has {', '.join(present)} but not {', '.join(missing)}")
    return RollupDeployment(_hex_bytes(document["inbox"], 20, "inbox"),
                            _hex_bytes(document["forcedQueue"], 20, "forcedQueue"),
                            _number(document["inboxDeployBlock"], "inboxDeployBlock"),
                            None if document.get("portal") is None
                            else _hex_bytes(document["portal"], 20, "portal"),
                            None if document.get("challengeWindow") is None
                            else _number(document["challengeWindow"], "challengeWindow"),
                            None if document.get("disputeGame") is None
                            else _hex_bytes(document["disputeGame"], 20, "disputeGame"),
                            None if document.get("stepVerifier") is None
                            else _hex_bytes(document["stepVerifier"], 20, "stepVerifier"),
                            _optional_flag(document.get("stepVerifierComplete"),
                                           "stepVerifierComplete"))


def _optional_flag(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"{name}: {value!r:.80} is not true, false or null")


def _sequencer(entry: Any, index: int) -> StakedSequencer:
    if not isinstance(entry, dict):
        raise ValueError(f"sequencers[{index}]: expected an object")
    missing = [name for name in ("operator", "signer", "stake") if name not in entry]
    if missing:
        raise ValueError(f"sequencers[{index}]: missing {', '.join(missing)}")
    stake = entry["stake"]
    if not isinstance(stake, str) or not stake.isdigit():
        raise ValueError(f"sequencers[{index}].stake: {stake!r:.80} is not a decimal string")
    return StakedSequencer(_hex_bytes(entry["operator"], 20, f"sequencers[{index}].operator"),
                           _hex_bytes(entry["signer"], 20, f"sequencers[{index}].signer"),
                           int(stake))


def _number(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name}: {value!r:.60} is not a non-negative integer")
    return value


def _hex_bytes(value: Any, length: int, name: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 2 + 2 * length:
        raise ValueError(f"{name}: {value!r:.80} is not 0x and {2 * length} hex digits")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise ValueError(f"{name}: {value!r:.80} is not hex") from None
