"""The two sides of :class:`ordo.faultproof.block_steps.BlockIO`.

:class:`WitnessIO` hands a step the items of a decoded witness in the order it asks and then
refuses a witness with anything it did not read (one pre-state, one witness), as
``verify.WitnessReader`` does for phase 3. :class:`TraceIO` builds each item from the full data
(the node store, what the tracer prepared), records it into the witness and applies the step's
writes to the store so later proofs find the new nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

from eth_hash.auto import keccak
from trie import HexaryTrie

from ordo.faultproof import index_trie, mpt_proof
from ordo.faultproof.step import EMPTY_CODE_HASH, InvalidWitness, decode_account
from ordo.faultproof.witness import TrieProof
from ordo.faultproof.world import NodeStore


class WitnessIO:
    """Hands out a witness's items; :meth:`finish` refuses what the step did not read."""

    def __init__(self, proofs: Any) -> None:
        self.proofs = proofs
        self.taken: set[str] = set()
        self.accessed_read = 0
        self.extras: set[str] = set()
        self._last: dict[str, TrieProof] = {}

    def _take(self, name: str) -> Any:
        if name in self.taken:
            raise InvalidWitness(f"the step reads {name} twice")
        self.taken.add(name)
        return getattr(self.proofs, name)

    def item(self, name: str) -> Any:
        return self._take(name)

    def trie(self, name: str, root: bytes, key: bytes) -> TrieProof:
        if name == "accessed":
            if self.accessed_read >= len(self.proofs.accessed):
                raise InvalidWitness("the witness has too few accessed-set proofs")
            proof: TrieProof = self.proofs.accessed[self.accessed_read]
            self.accessed_read += 1
            if proof.extra:
                raise InvalidWitness("accessed: an extra node for no deletion")
            return proof
        proof = self._take(name)
        self._last[name] = proof
        return proof

    def extra(self, name: str, root: bytes, key: bytes, proof: bytes) -> bytes:
        self.extras.add(name)
        return self._last[name].extra

    def wrote(self, root: bytes, key: bytes, value: bytes | None, new_root: bytes) -> None:
        return None

    def index_proof(self, name: str, root: bytes, index: int) -> tuple[bytes, ...]:
        return tuple(self._take(name))

    def inserted(self, root: bytes, index: int, value: bytes, new_root: bytes) -> None:
        return None

    def code_stored(self, code: bytes) -> None:
        return None

    def finish(self) -> None:
        blank = type(self.proofs)()
        for f in fields(self.proofs):
            name = f.name
            if name == "accessed":
                if self.accessed_read != len(self.proofs.accessed):
                    raise InvalidWitness("the witness has more accessed-set proofs than the "
                                         "step reads")
                continue
            value = getattr(self.proofs, name)
            if name not in self.taken:
                if value != getattr(blank, name):
                    raise InvalidWitness(f"the step does not read {name}, but it is not zero")
            elif isinstance(value, TrieProof) and value.extra and name not in self.extras:
                raise InvalidWitness(f"{name}: an extra node for no deletion")


class TraceIO:
    """Builds a step's items from the full data and records them as its witness."""

    def __init__(self, nodes: NodeStore, items: Mapping[str, Any]) -> None:
        self.nodes = nodes
        self.items = items
        self.recorded: dict[str, Any] = {}
        self.accessed: list[TrieProof] = []
        self._read: dict[str, bytes | None] = {}
        self.written_roots: list[bytes] = []
        self.inserted_roots: list[bytes] = []

    def last_state_root(self, default: bytes) -> bytes:
        """The root after the step's last write, ``default`` when it wrote nothing."""
        return self.written_roots[-1] if self.written_roots else default

    def item(self, name: str) -> Any:
        if name.endswith("_code"):
            value = self._code_of(name[:-len("_code")])
        else:
            value = self.items[name]
            if isinstance(value, Callable):  # type: ignore[arg-type]
                value = value()
        self.recorded[name] = value
        return value

    def _code_of(self, account_field: str) -> bytes:
        account = decode_account(self._read[account_field])
        if account is None or account.code_hash == EMPTY_CODE_HASH:
            return b""
        return bytes(self.nodes[account.code_hash])

    def trie(self, name: str, root: bytes, key: bytes) -> TrieProof:
        nodes = mpt_proof.build_proof(self.nodes, root, key)
        proof = TrieProof(mpt_proof.pack_proof(nodes))
        if name == "accessed":
            self.accessed.append(proof)
        else:
            self.recorded[name] = proof
            self._read[name] = mpt_proof.read(root, key, nodes)
        return proof

    def extra(self, name: str, root: bytes, key: bytes, proof: bytes) -> bytes:
        if mpt_proof.read(root, key, proof) is None:
            return b""
        extra = mpt_proof.needed_extra(self.nodes, root, key, proof)
        self.recorded[name] = TrieProof(proof, extra)
        return extra

    def wrote(self, root: bytes, key: bytes, value: bytes | None, new_root: bytes) -> None:
        trie = HexaryTrie(self.nodes, root)
        if value is None:
            trie.delete(key)
        else:
            trie.set(key, value)
        if trie.root_hash != new_root:
            raise AssertionError("py-trie's root after the write differs from the proof's")
        self.written_roots.append(new_root)

    def index_proof(self, name: str, root: bytes, index: int) -> tuple[bytes, ...]:
        proof = index_trie.build_proof(self.nodes, root, index)
        self.recorded[name] = proof
        return proof

    def inserted(self, root: bytes, index: int, value: bytes, new_root: bytes) -> None:
        if index_trie.insert_into(self.nodes, root, index, value) != new_root:
            raise AssertionError("py-trie's root after the insertion differs from the proof's")
        self.inserted_roots.append(new_root)

    def code_stored(self, code: bytes) -> None:
        """A delegation designator set as an account's code: kept by its hash, as py-evm's
        database keeps code, for later reads."""
        if code:
            self.nodes[keccak(code)] = code

    def proofs(self, cls: type) -> Any:
        """The recorded items as the phase's proofs dataclass (unread fields zero)."""
        values = dict(self.recorded)
        if any(f.name == "accessed" for f in fields(cls)):
            values["accessed"] = tuple(self.accessed)
        return cls(**values)
