"""The hidden password prompt of ``ordo keys`` on a real terminal (a pseudo-terminal here)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from ordo.keys.keystore import decrypt_keystore, list_keystores
from tests.e2e.targets import REPO_ROOT

PASSWORD = "typed at the prompt"


def read_until(master: int, text: bytes, timeout: float = 20) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {text!r} in {seen!r}"
        ready, _, _ = select.select([master], [], [], remaining)
        if ready:
            try:
                chunk = os.read(master, 1024)
            except OSError:  # the child closed the terminal
                break
            seen += chunk
    return seen


def test_keys_new_prompts_twice_and_never_echoes(tmp_path: Path) -> None:
    master, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "ordo", "keys", "new", "--keystore", str(tmp_path / "k")],
        stdin=terminal, stdout=terminal, stderr=terminal, cwd=REPO_ROOT, close_fds=True)
    os.close(terminal)
    try:
        transcript = read_until(master, b"New password: ")
        os.write(master, PASSWORD.encode() + b"\n")
        transcript += read_until(master, b"Repeat for confirmation: ")
        os.write(master, PASSWORD.encode() + b"\n")
        transcript += read_until(master, b"written to")
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert PASSWORD.encode() not in transcript
    [entry] = list_keystores(tmp_path / "k")
    assert len(decrypt_keystore(entry.path, PASSWORD)) == 32
