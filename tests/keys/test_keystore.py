"""Keystore files: round trip, wrong password, permissions, damaged files, password sources."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from eth_account import Account

from ordo.keys.file_permissions import KeyPermissionError, check_owner_only, ensure_private_dir
from ordo.keys.keystore import (
    KeystoreError,
    decrypt_keystore,
    is_keystore_file,
    list_keystores,
    read_keystore,
    write_keystore,
)
from ordo.keys.password_source import PasswordError, PasswordSource, check_new_password
from ordo.keys.signer_key_file import check_key_file, open_keystore_key

KEY = bytes(range(1, 33))
FAST_N = 2**10  # unit tests only; the CLI always uses SCRYPT_N


def test_a_keystore_round_trips_with_owner_only_modes(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    entry = write_keystore(directory, "signer", KEY, "correct horse", scrypt_n=FAST_N)
    assert entry.address == Account.from_key(KEY).address
    assert entry.path == directory / f"signer-{entry.address.lower()[2:]}.json"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.path.stat().st_mode) == 0o600
    assert read_keystore(entry.path)["crypto"]["kdfparams"]["n"] == FAST_N
    assert decrypt_keystore(entry.path, "correct horse") == KEY
    assert list_keystores(directory) == [entry]
    assert is_keystore_file(entry.path)


def test_the_wrong_password_is_named_as_such(tmp_path: Path) -> None:
    entry = write_keystore(tmp_path / "k", "node", KEY, "correct horse", scrypt_n=FAST_N)
    with pytest.raises(KeystoreError, match=r"wrong password$"):
        decrypt_keystore(entry.path, "battery staple")


def test_a_second_keystore_for_the_same_key_is_refused(tmp_path: Path) -> None:
    write_keystore(tmp_path / "k", "signer", KEY, "password1", scrypt_n=FAST_N)
    with pytest.raises(KeystoreError, match="already exists"):
        write_keystore(tmp_path / "k", "signer", KEY, "password1", scrypt_n=FAST_N)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_key_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    entry = write_keystore(tmp_path / "k", "signer", KEY, "password1", scrypt_n=FAST_N)
    os.chmod(entry.path, mode)
    with pytest.raises(KeystoreError, match=f"mode {mode:04o}, so others can read it"):
        decrypt_keystore(entry.path, "password1")
    raw = tmp_path / "raw.key"
    raw.write_text(KEY.hex())
    os.chmod(raw, mode)
    with pytest.raises(KeyPermissionError, match="chmod 600"):
        check_owner_only(raw, "signer key")


def test_a_shared_key_directory_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    with pytest.raises(KeyPermissionError, match="mode 0755; allowed is 0700"):
        ensure_private_dir(shared)


@pytest.mark.parametrize(("content", "message"), [
    ("{oops", "not a JSON keystore file"),
    ('{"version": 2}', "not a version 3 keystore"),
    ('{"version": 3, "crypto": {}}', "no crypto.ciphertext"),
    ('{"version": 3, "address": "00", "crypto": {"ciphertext": "00", "kdf": "scrypt"}}',
     "no 20-byte address"),
    ('{"version": 3, "crypto": {"ciphertext": "00", "kdf": "md5"}}', "kdf 'md5' is not allowed"),
])
def test_damaged_keystores_get_a_precise_error(tmp_path: Path, content: str,
                                               message: str) -> None:
    path = tmp_path / "signer-x.json"
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeystoreError, match=message):
        decrypt_keystore(path, "whatever")
    assert list_keystores(tmp_path) == []


def test_a_tampered_address_is_caught(tmp_path: Path) -> None:
    entry = write_keystore(tmp_path / "k", "signer", KEY, "password1", scrypt_n=FAST_N)
    document = json.loads(entry.path.read_text())
    document["address"] = "11" * 20
    entry.path.write_text(json.dumps(document))
    with pytest.raises(KeystoreError, match="belongs to"):
        decrypt_keystore(entry.path, "password1")


def test_password_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    password_file = tmp_path / "pw"
    password_file.write_text("from the file\nsecond line ignored\n")
    password_file.chmod(0o644)
    with pytest.raises(PasswordError, match="password file has mode 0644, so others can read"):
        PasswordSource(password_file=password_file).read()
    password_file.chmod(0o600)
    assert PasswordSource(password_file=password_file).read() == "from the file"
    monkeypatch.setenv("ORDO_TEST_PW", "from the env")
    assert PasswordSource(password_env="ORDO_TEST_PW").read() == "from the env"
    assert PasswordSource().read() is None
    with pytest.raises(PasswordError, match="'ORDO_UNSET_PW' is not set"):
        PasswordSource(password_env="ORDO_UNSET_PW").read()
    (tmp_path / "empty").write_text("\n")
    (tmp_path / "empty").chmod(0o600)
    with pytest.raises(PasswordError, match="is empty"):
        PasswordSource(password_file=tmp_path / "empty").read()
    with pytest.raises(PasswordError, match="cannot read"):
        PasswordSource(password_file=tmp_path / "missing").read()
    with pytest.raises(PasswordError, match="either --password-file or --password-env"):
        PasswordSource(password_file, "ORDO_TEST_PW")
    with pytest.raises(PasswordError, match="too short"):
        check_new_password("short")


def test_key_files_are_checked_before_the_node_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDO_TEST_PW", "password1")
    entry = write_keystore(tmp_path / "k", "signer", KEY, "password1", scrypt_n=FAST_N)
    source = PasswordSource(password_env="ORDO_TEST_PW")
    assert open_keystore_key(entry.path, "signer key", source) == KEY
    for check in (check_key_file, open_keystore_key):
        with pytest.raises(KeystoreError, match="encrypted keystore; pass --password-file"):
            check(entry.path, "signer key", PasswordSource())
    raw = tmp_path / "raw.key"
    raw.write_text("0x" + KEY.hex() + "\n")
    os.chmod(raw, 0o600)
    check_key_file(raw, "signer key", PasswordSource())  # raw hex needs no password
    os.chmod(raw, 0o644)
    with pytest.raises(KeystoreError, match="signer key file has mode 0644"):
        check_key_file(raw, "signer key", PasswordSource())
    with pytest.raises(KeystoreError, match="cannot read signer key"):
        check_key_file(tmp_path / "missing", "signer key", PasswordSource())
