"""``ordo keys``: new -> list -> export-public -> import, and what it refuses."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account

from ordo.cli import main
from ordo.keys.keystore import SCRYPT_N, decrypt_keystore, read_keystore

PASSWORD = "correct horse battery"
ENV = {"ORDO_KEY_PASSWORD": PASSWORD}


def ordo(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(arguments), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_new_list_export_import_round_trip(tmp_path: Path) -> None:
    keystore = tmp_path / "keystore"
    code, out, _ = ordo("keys", "new", "--kind", "signer", "--keystore", str(keystore),
                        "--password-env", "ORDO_KEY_PASSWORD", env=ENV)
    assert code == 0, out
    [signer_file] = keystore.glob("signer-*.json")
    address = read_keystore(signer_file)["address"]
    assert out == f"signer key 0x{address} written to {signer_file}\n".replace(
        f"0x{address}", Account.from_key(decrypt_keystore(signer_file, PASSWORD)).address)
    assert read_keystore(signer_file)["crypto"]["kdfparams"]["n"] == SCRYPT_N
    assert stat.S_IMODE(keystore.stat().st_mode) == 0o700
    assert stat.S_IMODE(signer_file.stat().st_mode) == 0o600

    raw = tmp_path / "devnet-node.key"
    raw_key = bytes(range(100, 132))
    raw.write_text(raw_key.hex() + "\n")
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    code, out, _ = ordo("keys", "import", str(raw), "--kind", "node", "--keystore",
                        str(keystore), "--password-file", str(password_file))
    assert code == 0, out
    node_address = Account.from_key(raw_key).address
    assert f"node key {node_address} imported to" in out

    code, out, _ = ordo("keys", "list", "--keystore", str(keystore), "--json")
    assert code == 0
    listed = json.loads(out)
    signer_address = Account.from_key(decrypt_keystore(signer_file, PASSWORD)).address
    assert [(entry["kind"], entry["address"]) for entry in listed] == [
        ("signer", signer_address), ("node", node_address)]
    code, table, _ = ordo("keys", "list", "--keystore", str(keystore))
    assert code == 0 and signer_address in table and node_address in table

    node_file = Path(listed[1]["path"])
    code, out, _ = ordo("keys", "export-public", str(node_file), "--json",
                        "--password-env", "ORDO_KEY_PASSWORD", env=ENV)
    assert code == 0, out
    exported = json.loads(out)
    assert exported["address"] == node_address
    public_key = bytes.fromhex(exported["publicKey"][2:])
    assert len(public_key) == 64
    from eth_keys import keys

    assert keys.PrivateKey(raw_key).public_key.to_bytes() == public_key


def test_the_wrong_password_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    keystore = tmp_path / "k"
    assert ordo("keys", "new", "--keystore", str(keystore), "--password-env",
                "ORDO_KEY_PASSWORD", env=ENV)[0] == 0
    [path] = keystore.glob("*.json")
    code, _, err = ordo("keys", "export-public", str(path), "--password-env", "WRONG",
                        env={"WRONG": "not the password"})
    assert (code, err) == (2, f"error: {path}: wrong password\n")


def test_a_password_is_never_taken_as_an_argument(tmp_path: Path) -> None:
    for command in (["keys", "new"], ["keys", "import", str(tmp_path / "x")],
                    ["keys", "export-public", str(tmp_path / "x")], ["node"]):
        code, _, err = ordo(*command, "--password", PASSWORD)
        assert code == 2
        assert "No such option '--password'" in err
        assert not list(tmp_path.iterdir())


def test_without_a_terminal_or_a_source_no_key_is_made(tmp_path: Path) -> None:
    code, _, err = ordo("keys", "new", "--keystore", str(tmp_path / "k"))
    assert (code, err) == (2, "error: password: no terminal to prompt on; pass --password-file "
                              "FILE or --password-env NAME\n")
    assert not (tmp_path / "k").exists()


def test_short_passwords_and_bad_key_files_are_refused(tmp_path: Path) -> None:
    code, _, err = ordo("keys", "new", "--keystore", str(tmp_path / "k"), "--password-env", "P",
                        env={"P": "short"})
    assert (code, err) == (2, "error: password: 5 characters is too short; allowed are at "
                              "least 8\n")
    bad = tmp_path / "bad.key"
    bad.write_text("not hex")
    code, _, err = ordo("keys", "import", str(bad), "--keystore", str(tmp_path / "k"),
                        "--password-env", "ORDO_KEY_PASSWORD", env=ENV)
    assert (code, err) == (2, f"error: key_file: {bad}: signer key is not hex\n")


def test_the_node_refuses_key_files_others_can_read(tmp_path: Path) -> None:
    genesis = tmp_path / "genesis.json"
    from ordo.core.genesis import devnet_genesis

    devnet_genesis().save(genesis)
    key = tmp_path / "signer.key"
    key.write_text(bytes(range(1, 33)).hex())
    os.chmod(key, 0o644)
    common = ["node", "--data-dir", str(tmp_path / "d"), "--genesis", str(genesis)]
    code, _, err = ordo(*common, "--signer-key", str(key))
    assert code == 2
    assert err == (f"error: signer_key: {key}: signer key file has mode 0644, so others can read "
                   f"it; allowed are owner-only modes (run: chmod 600 {key})\n")
    node_key = tmp_path / "node.key"
    node_key.write_text(bytes(range(2, 34)).hex())
    os.chmod(node_key, 0o640)
    code, _, err = ordo(*common, "--node-key", str(node_key))
    assert code == 2 and err.startswith(f"error: node_key: {node_key}: node key file has mode "
                                        "0640")


def test_a_keystore_signer_key_needs_a_password_source(tmp_path: Path) -> None:
    keystore = tmp_path / "k"
    assert ordo("keys", "new", "--keystore", str(keystore), "--password-env",
                "ORDO_KEY_PASSWORD", env=ENV)[0] == 0
    [path] = keystore.glob("*.json")
    genesis = tmp_path / "genesis.json"
    from ordo.core.genesis import devnet_genesis

    devnet_genesis().save(genesis)
    code, _, err = ordo("node", "--data-dir", str(tmp_path / "d"), "--genesis", str(genesis),
                        "--signer-key", str(path))
    assert (code, err) == (2, f"error: signer_key: {path}: signer key is an encrypted keystore; "
                              "pass --password-file FILE or --password-env NAME\n")


@pytest.mark.parametrize(("extra", "message"), [
    (["--metrics-port", "0"], "metrics_port: 0 is not allowed; use a TCP port from 1 to 65535"),
    (["--metrics-port", "8545"], "metrics_port: 8545 is the rpc_port"),
    (["--password-env", "A", "--password-file", "/x"], "give either --password-file or "
                                                      "--password-env, not both"),
    (["--log-format", "xml"], "Invalid value for '--log-format': 'xml' is not one of"),
])
def test_new_node_options_are_checked(tmp_path: Path, extra: list[str], message: str) -> None:
    genesis = tmp_path / "genesis.json"
    from ordo.core.genesis import devnet_genesis

    devnet_genesis().save(genesis)
    code, _, err = ordo("node", "--data-dir", str(tmp_path / "d"), "--genesis", str(genesis),
                        *extra)
    assert code == 2
    assert message in err


@pytest.mark.parametrize("command", [[], ["keys"], ["keys", "new"], ["keys", "list"],
                                     ["keys", "import"], ["keys", "export-public"], ["status"],
                                     ["node"], ["devnet"]])
def test_every_command_has_help(command: list[str]) -> None:
    code, out, _ = ordo(*command, "--help")
    assert code == 0 and out.startswith("Usage: ")
