"""Owner-only files and directories for secrets.

A key that the group or others can read has leaked on a shared machine; refusing to use it is the
only way an operator notices before someone else does.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class KeyPermissionError(ValueError):
    """A key file is readable or writable by others; the message names the file and its mode."""


def check_owner_only(path: Path, what: str) -> None:
    """Raise KeyPermissionError when group or other bits are set on ``path``."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyPermissionError(
            f"{path}: {what} file has mode {mode:04o}, so others can read it; allowed are "
            f"owner-only modes (run: chmod 600 {path})")


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` as 0700 if missing; an existing directory others can enter is refused."""
    if path.exists():
        if not path.is_dir():
            raise KeyPermissionError(f"{path}: exists and is not a directory")
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyPermissionError(
                f"{path}: key directory has mode {mode:04o}; allowed is 0700 "
                f"(run: chmod 700 {path})")
        return
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True)
    os.chmod(path, PRIVATE_DIR_MODE)  # the umask may have narrowed it; make it exact


def write_private_file(path: Path, text: str) -> None:
    """Create ``path`` 0600 from the first byte on; never replace an existing file."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    os.fchmod(descriptor, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
