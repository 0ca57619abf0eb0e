"""The node's TOML configuration file: one schema that both reads a file and writes the
commented template ``ordo init`` produces.

Keeping the reader and the template on one list of keys means a key cannot be documented
without being accepted or accepted without being documented. Every refusal names the file,
the section and key, the bad value and what is allowed; paths in the file are relative to the
file's own directory, so a configuration directory can be moved as a whole.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ordo.config.node_config import (
    ConfigError,
    NodeConfig,
    check_port,
    parse_allowed_peers,
    parse_peer,
)
from ordo.rpc.cors import CorsConfigError, parse_origins

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
COMMENT_WIDTH = 96


@dataclass(frozen=True)
class ConfigKey:
    """One key of the file: where it lives, what ``ordo node`` calls it, and how it is read."""

    section: str
    name: str
    target: str
    """The ``ordo node`` option (click parameter name) or NodeConfig field it sets."""
    help: str
    allowed: str
    default: Any
    """Shown in the template; None means unset (the key is written commented out)."""
    parse: Callable[[str, Any, Path], Any]
    """(key, raw TOML value, directory of the file) -> value; raises ConfigError."""


def _text(key: str, value: Any, base: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: {value!r} is not allowed; use a non-empty string")
    return value


def _path(key: str, value: Any, base: Path) -> Path:
    text = _text(key, value, base)
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


def _port(key: str, value: Any, base: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key}: {value!r} is not allowed; use a TCP port from 1 to 65535")
    check_port(key, value)
    return value


def _count(key: str, value: Any, base: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{key}: {value!r} is not allowed; use a whole number, 0 or more")
    return value


def _seconds(low: float, high: float) -> Callable[[str, Any, Path], float]:
    def parse(key: str, value: Any, base: Path) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not low <= value <= high:
            raise ConfigError(f"{key}: {value!r} is not allowed; use seconds between {low} and "
                              f"{high}")
        return float(value)
    return parse


def _address(key: str, value: Any, base: Path) -> str:
    text = _text(key, value, base)
    digits = text.removeprefix("0x").removeprefix("0X")
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raw = b""
    if len(raw) != 20 or not text.lower().startswith("0x"):
        raise ConfigError(f"{key}: {value!r} is not allowed; use a 0x-prefixed 20-byte hex "
                          "address")
    return text


def _choice(options: tuple[str, ...]) -> Callable[[str, Any, Path], str]:
    def parse(key: str, value: Any, base: Path) -> str:
        if not isinstance(value, str) or value.upper() not in {o.upper() for o in options}:
            raise ConfigError(f"{key}: {value!r} is not allowed; use one of "
                              f"{', '.join(options)}")
        return next(option for option in options if option.upper() == value.upper())
    return parse


def _peers(key: str, value: Any, base: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ConfigError(f"{key}: {value!r} is not allowed; use a list of \"host:port\" "
                          "strings, e.g. [\"10.0.0.2:30303\"]")
    for index, entry in enumerate(value):
        try:
            parse_peer(entry)
        except ConfigError:
            raise ConfigError(f"{key}[{index}]: {entry!r} is not allowed; use host:port, e.g. "
                              "127.0.0.1:30303") from None
    return tuple(value)


def _allowed_peers(key: str, value: Any, base: Path) -> frozenset[bytes]:
    if not isinstance(value, list) or not value or \
            not all(isinstance(entry, str) for entry in value):
        raise ConfigError(f"{key}: {value!r} is not allowed; use a non-empty list of node "
                          "addresses or public keys, e.g. [\"0x5a1e...\"]")
    return parse_allowed_peers(key, value)


def _url(key: str, value: Any, base: Path) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigError(f"{key}: {value!r} is not allowed; use an http:// or https:// URL")
    return value


def _env_name(key: str, value: Any, base: Path) -> str:
    text = _text(key, value, base)
    if not text.replace("_", "a").isalnum() or text[0].isdigit():
        raise ConfigError(f"{key}: {value!r} is not allowed; use an environment variable name "
                          "(letters, digits, _)")
    return text


def _cors_origins(key: str, value: Any, base: Path) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: {value!r} is not allowed; use a comma-separated string of "
                          "origins, or '*'")
    try:
        parse_origins(value)
    except CorsConfigError as error:
        raise ConfigError(f"{key}: {error}") from None
    return value


ENGINE_NAMES = ("auto", "native", "py-evm")


def _node_keys() -> tuple[ConfigKey, ...]:
    keys = [
        ConfigKey("node", "data_dir", "data_dir", "Directory of this node's database (created "
                  "if missing).", "a path", "data", _path),
        ConfigKey("node", "genesis", "genesis_path", "Genesis JSON file of the network.",
                  "a path to a genesis.json", "genesis.json", _path),
        ConfigKey("node", "rpc_host", "rpc_host", "Interface the JSON-RPC server listens on.",
                  "a host name or IP address", "127.0.0.1", _text),
        ConfigKey("node", "rpc_port", "rpc_port", "TCP port of JSON-RPC over HTTP and "
                  "WebSocket.", "1 to 65535", 8545, _port),
        ConfigKey("node", "rpc_cors_origins", "rpc_cors_origins", "Browser origins allowed to "
                  "call the JSON-RPC server.", "comma-separated origins "
                  "(https://app.example), '*' for any page, '' for none", "*", _cors_origins),
        ConfigKey("node", "block_time", "block_time", "Minimum seconds between blocks while "
                  "more than 16 transactions are pending (fewer start a block at once).",
                  "seconds from 0.01 to 60",
                  NodeConfig.block_time, _seconds(0.01, 60)),
        ConfigKey("node", "heartbeat_interval", "heartbeat_interval", "Seconds after which an "
                  "empty block is produced when nothing is pending.",
                  "seconds from block_time to 3600", NodeConfig.heartbeat_interval,
                  _seconds(0.01, 3600)),
        ConfigKey("node", "quiet_pending", "quiet_pending", "At most this many pending "
                  "transactions start a block at once; 0: every block waits block_time.",
                  "0 to 10000", NodeConfig.quiet_pending, _count),
        ConfigKey("node", "fee_recipient", "fee_recipient", "Address credited with the "
                  "priority fees of blocks this node produces.", "a 0x-prefixed 20-byte address",
                  None, _address),
        ConfigKey("node", "signer_key", "signer_key_path", "This node's sequencer signer key: "
                  "an encrypted keystore (ordo keys new) or a raw hex file; owner-only mode.",
                  "a path; unset runs a non-voting node", None, _path),
        ConfigKey("node", "password_file", "password_file", "File whose first line unlocks a "
                  "keystore signer_key or node_key.", "a path; not with password_env", None,
                  _path),
        ConfigKey("node", "password_env", "password_env", "Environment variable holding the "
                  "keystore password.", "a variable name; not with password_file", None,
                  _env_name),
        ConfigKey("node", "metrics_port", "metrics_port", "Serve Prometheus /metrics on "
                  "rpc_host:PORT.", "1 to 65535, not rpc_port; unset serves no metrics", None,
                  _port),
        ConfigKey("node", "log_level", "log_level", "Least severe log level written.",
                  ", ".join(LOG_LEVELS), "INFO", _choice(LOG_LEVELS)),
        ConfigKey("node", "log_format", "log_format", "text: readable lines; json: one JSON "
                  "object per line.", ", ".join(LOG_FORMATS), "text", _choice(LOG_FORMATS)),
        ConfigKey("node", "engine", "engine", "Block executor: native (revm, built at install "
                  "where cargo was present), py-evm (the reference), auto: native where built.",
                  ", ".join(ENGINE_NAMES), "auto", _choice(ENGINE_NAMES)),
        ConfigKey("node", "shadow_check", "shadow_check", "Re-execute every Nth native block "
                  "with py-evm and log any difference at ERROR.", "a whole number; 0 is off", 0,
                  _count),
    ]
    if "l1_rpc" in {field.name for field in dataclasses.fields(NodeConfig)}:
        keys.append(ConfigKey("node", "l1_rpc", "l1_rpc", "Ethereum (L1) JSON-RPC URL; "
                              "required when the genesis names an L1 locking pool.",
                              "an http:// or https:// URL", None, _url))
        keys.append(ConfigKey("node", "batch_takeover", "batch_takeover", "Seconds per rank "
                              "after the epoch's producer before this sequencer posts a batch "
                              "that has not landed.", "seconds from 1 to 3600",
                              NodeConfig.batch_takeover, _seconds(1, 3600)))
    return tuple(keys)


P2P_KEYS = (
    ConfigKey("p2p", "host", "p2p_host", "Interface the peer-to-peer transport listens on.",
              "a host name or IP address", "127.0.0.1", _text),
    ConfigKey("p2p", "port", "p2p_port", "TCP port of the peer-to-peer transport.",
              "1 to 65535", 30303, _port),
    ConfigKey("p2p", "peers", "peers", "Static peers this node keeps connections to.",
              "a list of \"host:port\" strings", [], _peers),
    ConfigKey("p2p", "node_key", "node_key_path", "File holding this node's p2p identity key; "
              "created (mode 0600) if missing.", "a path; unset means DATA_DIR/node.key", None,
              _path),
    ConfigKey("p2p", "allowed_peers", "allowed_peers", "Sentry restriction: admit only these "
              "peers, inbound and outbound (the sequencer set's nodes and your followers; the "
              "set names signer addresses, not node keys, so list its nodes here).",
              "a list of 0x node addresses or public keys; unset admits any peer", None,
              _allowed_peers),
)

STAKE_KEYS = (
    ConfigKey("stake", "locking_pool", "locking_pool", "L1 LockingPool the `ordo stake` "
              "commands use when --pool is not given (the node does not read it).",
              "a 0x-prefixed 20-byte address", None, _address),
    ConfigKey("stake", "operator_key", "operator_key", "Keystore of the L1 operator account "
              "that locks the stake, for `ordo stake` (not the signer key).",
              "a path to a keystore file", None, _path),
)


def config_keys() -> tuple[ConfigKey, ...]:
    """Every key, in file order (l1_rpc only once NodeConfig has it)."""
    return (*_node_keys(), *P2P_KEYS, *STAKE_KEYS)


SECTION_HELP = {
    "node": "The node process: database, genesis, JSON-RPC, block pacing, keys, logs.",
    "p2p": "The authenticated peer-to-peer transport.",
    "stake": "Defaults for `ordo stake` (L1 operator tools); the node ignores this section.",
}


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's settings by target name (``rpc_port``, ``genesis_path``, ...), each checked;
    raises ConfigError naming the file, section, key, value and what is allowed."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"config: {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config: {path} is a directory, not a TOML file") from None
    except OSError as error:
        raise ConfigError(f"config: cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config: {path} is not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config: {path} is not valid TOML ({error})") from None
    return settings_from_document(document, path.parent, str(path))


def settings_from_document(document: Mapping[str, Any], base: Path,
                           origin: str) -> dict[str, Any]:
    """Pure part of read_config_file: check a parsed document against the schema."""
    by_section: dict[str, dict[str, ConfigKey]] = {}
    for key in config_keys():
        by_section.setdefault(key.section, {})[key.name] = key
    settings: dict[str, Any] = {}
    for section, table in document.items():
        if section not in by_section:
            raise ConfigError(f"{origin}: unknown section [{section}]; allowed: "
                              f"{', '.join(f'[{name}]' for name in by_section)}")
        if not isinstance(table, dict):
            raise ConfigError(f"{origin}: {section} = {table!r} is not allowed; [{section}] "
                              "must be a table of keys")
        known = by_section[section]
        for name, value in table.items():
            found = known.get(name)
            if found is None:
                raise ConfigError(f"{origin}: unknown key {name!r} in [{section}]; allowed: "
                                  f"{', '.join(known)}")
            try:
                settings[found.target] = found.parse(name, value, base)
            except ConfigError as error:
                raise ConfigError(f"{origin}: [{section}] {error}") from None
    if "password_file" in settings and "password_env" in settings:
        raise ConfigError(f"{origin}: [node] password_file and password_env are both set; "
                          "allowed is one of them")
    return settings


def render_template(values: Mapping[str, Any]) -> str:
    """The commented configuration file ``ordo init`` writes: every key with what it is, what
    is allowed and its default; keys in ``values`` (by key name) are set, the rest stay
    commented out at their default."""
    lines = [
        "# Ordo node configuration: `ordo node --config THIS_FILE`.",
        "# Relative paths are relative to the directory of this file. Command-line options",
        "# given to `ordo node` override the values here.",
    ]
    section = None
    for key in config_keys():
        if key.section != section:
            section = key.section
            lines += ["", f"# {SECTION_HELP[section]}", f"[{section}]"]
        value = values.get(key.name, None)
        default = "unset" if key.default is None else _toml_value(key.default)
        lines += ["", *textwrap.wrap(key.help, COMMENT_WIDTH, initial_indent="# ",
                                     subsequent_indent="# "),
                  f"# Allowed: {key.allowed}. Default: {default}."]
        if value is not None:
            lines.append(f"{key.name} = {_toml_value(value)}")
        elif key.default is not None:
            lines.append(f"# {key.name} = {_toml_value(key.default)}")
        else:
            lines.append(f"# {key.name} =")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    """TOML for the few value kinds the schema has (a JSON string is a TOML basic string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(entry) for entry in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")
