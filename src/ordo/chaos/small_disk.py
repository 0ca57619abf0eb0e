"""A small file system under a node's data directory, and filling it: the DISK_FULL fault.

A tmpfs of a few MiB mounted by the harness (root only; these machines have no device-mapper
error targets, so a full disk is the one I/O error that can be produced for real).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path

DISK_SIZE = "64m"
"""The tmpfs under the DISK_FULL victim's data directory: room for a few minutes of blocks."""
FILL_CHUNK = 1 << 20
FILLER = "chaos-disk-filler"


class DiskUnavailable(RuntimeError):
    """A tmpfs could not be mounted (not root, or no mount permission)."""


def mount_small_disk(directory: Path, size: str = DISK_SIZE) -> None:
    """Mount a tmpfs of ``size`` at ``directory`` (root only)."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        raise DiskUnavailable("a tmpfs needs root; DISK_FULL faults are left out")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                             str(directory)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DiskUnavailable(f"mount tmpfs at {directory}: {result.stderr.strip()}")


def unmount(directory: Path) -> None:
    subprocess.run(["umount", "-l", str(directory)], capture_output=True, check=False)


def fill_disk(directory: Path) -> int:
    """Write a filler file until the file system refuses even one byte (ENOSPC); the bytes
    written."""
    written = 0
    size = FILL_CHUNK
    with (directory / FILLER).open("wb", buffering=0) as filler:
        while size >= 1:
            try:
                written += filler.write(b"\0" * size) or 0
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                size //= 2
    return written


def free_disk(directory: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (directory / FILLER).unlink()
