"""Function and event encoding from a JSON ABI, on eth_abi and eth_utils.

Kept apart from the network so that encoding is testable on its own and reusable by the
deploy script, the batcher and derivation, which decode the same events from raw logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import DecodingError, EncodingError
from eth_hash.auto import keccak

from ordo.l1.chain_records import L1Log


class AbiError(ValueError):
    """A name, an argument or a payload that does not fit the ABI."""


def canonical_type(entry: dict[str, Any]) -> str:
    """The ABI type string of a parameter, with tuples (structs) spelled out."""
    kind = str(entry.get("type", ""))
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(component) for component in entry.get("components", []))
        return f"({inner}){kind[len('tuple'):]}"
    if not kind:
        raise AbiError(f"ABI parameter without a type: {entry!r}")
    return kind


@dataclass(frozen=True)
class AbiFunction:
    name: str
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]
    mutability: str

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.input_types)})"

    @property
    def selector(self) -> bytes:
        return keccak(self.signature.encode())[:4]

    def encode_call(self, arguments: Sequence[Any]) -> bytes:
        if len(arguments) != len(self.input_types):
            raise AbiError(f"{self.signature} takes {len(self.input_types)} arguments, "
                           f"got {len(arguments)}")
        try:
            return self.selector + abi_encode(list(self.input_types), list(arguments))
        except (EncodingError, TypeError, ValueError, OverflowError) as error:
            raise AbiError(f"{self.signature}: cannot encode arguments: {error}") from error

    def decode_result(self, payload: bytes) -> tuple[Any, ...]:
        try:
            return tuple(abi_decode(list(self.output_types), payload))
        except (DecodingError, ValueError, OverflowError) as error:
            raise AbiError(f"{self.signature}: cannot decode result 0x{payload[:64].hex()}: "
                           f"{error}") from error


@dataclass(frozen=True)
class AbiEvent:
    name: str
    parameter_names: tuple[str, ...]
    parameter_types: tuple[str, ...]
    indexed: tuple[bool, ...]
    anonymous: bool

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.parameter_types)})"

    @property
    def topic(self) -> bytes:
        return keccak(self.signature.encode())

    def decode(self, log: L1Log) -> DecodedEvent:
        """Arguments by name. An indexed dynamic value (string, bytes, array, tuple) is only
        stored as its keccak hash on chain: it is returned as those 32 bytes."""
        topics = list(log.topics if self.anonymous else log.topics[1:])
        if not self.anonymous and (not log.topics or log.topics[0] != self.topic):
            raise AbiError(f"log is not a {self.signature} event")
        indexed_count = sum(self.indexed)
        if len(topics) != indexed_count:
            raise AbiError(f"{self.signature}: {len(topics)} indexed topics, want "
                           f"{indexed_count}")
        data_types = [kind for kind, flag in zip(self.parameter_types, self.indexed,
                                                 strict=True) if not flag]
        try:
            data_values = list(abi_decode(data_types, log.data))
        except (DecodingError, ValueError, OverflowError) as error:
            raise AbiError(f"{self.signature}: cannot decode log data: {error}") from error
        arguments: dict[str, Any] = {}
        for name, kind, flag in zip(self.parameter_names, self.parameter_types, self.indexed,
                                    strict=True):
            if not flag:
                arguments[name] = data_values.pop(0)
            elif _is_dynamic(kind):
                arguments[name] = topics.pop(0)
            else:
                (arguments[name],) = abi_decode([kind], topics.pop(0))
        return DecodedEvent(self.name, arguments, log)


@dataclass(frozen=True)
class DecodedEvent:
    name: str
    arguments: dict[str, Any]
    log: L1Log


def _is_dynamic(kind: str) -> bool:
    return kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")


@dataclass(frozen=True)
class ContractAbi:
    functions: dict[str, tuple[AbiFunction, ...]]
    events: dict[str, AbiEvent]
    constructor_types: tuple[str, ...]

    @classmethod
    def parse(cls, abi: Sequence[dict[str, Any]]) -> ContractAbi:
        if not isinstance(abi, list | tuple):
            raise AbiError(f"ABI must be a list of entries, got {type(abi).__name__}")
        functions: dict[str, list[AbiFunction]] = {}
        events: dict[str, AbiEvent] = {}
        constructor: tuple[str, ...] = ()
        for entry in abi:
            if not isinstance(entry, dict):
                raise AbiError(f"ABI entry is not an object: {entry!r:.100}")
            kind = entry.get("type", "function")
            inputs = entry.get("inputs", [])
            if kind == "function":
                function = AbiFunction(
                    name=str(entry["name"]),
                    input_types=tuple(canonical_type(item) for item in inputs),
                    output_types=tuple(canonical_type(item) for item in entry.get("outputs", [])),
                    mutability=str(entry.get("stateMutability", "nonpayable")),
                )
                functions.setdefault(function.name, []).append(function)
            elif kind == "event":
                events[str(entry["name"])] = AbiEvent(
                    name=str(entry["name"]),
                    parameter_names=tuple(str(item.get("name", "")) for item in inputs),
                    parameter_types=tuple(canonical_type(item) for item in inputs),
                    indexed=tuple(bool(item.get("indexed", False)) for item in inputs),
                    anonymous=bool(entry.get("anonymous", False)),
                )
            elif kind == "constructor":
                constructor = tuple(canonical_type(item) for item in inputs)
        return cls({name: tuple(group) for name, group in functions.items()}, events,
                   constructor)

    def function(self, name: str, argument_count: int) -> AbiFunction:
        """The function ``name`` taking ``argument_count`` arguments (resolves overloads by
        count; a full signature such as ``"f(uint256)"`` picks one exactly)."""
        if "(" in name:
            for group in self.functions.values():
                for function in group:
                    if function.signature == name:
                        return function
            raise AbiError(f"no function {name} in the ABI")
        candidates = [function for function in self.functions.get(name, ())
                      if len(function.input_types) == argument_count]
        if not candidates:
            raise AbiError(f"no function {name} with {argument_count} arguments in the ABI")
        if len(candidates) > 1:
            raise AbiError(f"{name} is overloaded with {argument_count} arguments; use one of "
                           f"{[function.signature for function in candidates]}")
        return candidates[0]

    def event(self, name: str) -> AbiEvent:
        event = self.events.get(name)
        if event is None:
            raise AbiError(f"no event {name} in the ABI")
        return event

    def encode_constructor(self, arguments: Sequence[Any]) -> bytes:
        if len(arguments) != len(self.constructor_types):
            raise AbiError(f"constructor takes {len(self.constructor_types)} arguments, got "
                           f"{len(arguments)}")
        try:
            return abi_encode(list(self.constructor_types), list(arguments))
        except (EncodingError, TypeError, ValueError, OverflowError) as error:
            raise AbiError(f"constructor: cannot encode arguments: {error}") from error
