"""Where a keystore password comes from: a file or an environment variable, never an argument.

An argument would sit in the shell history and in every ``ps`` listing; the prompt is handled by
the command line itself because only it knows whether a terminal is attached.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ordo.keys.file_permissions import KeyPermissionError, check_owner_only

MIN_PASSWORD_LENGTH = 8


class PasswordError(ValueError):
    """No usable password; the message names the source and what is wrong with it."""


@dataclass(frozen=True)
class PasswordSource:
    password_file: Path | None = None
    password_env: str | None = None

    def __post_init__(self) -> None:
        if self.password_file is not None and self.password_env is not None:
            raise PasswordError("password: give either --password-file or --password-env, "
                                "not both")

    @property
    def given(self) -> bool:
        return self.password_file is not None or self.password_env is not None

    def read(self) -> str | None:
        """The password, or None when no source was given (the caller may prompt)."""
        if self.password_file is not None:
            return _read_password_file(self.password_file)
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if value is None:
                raise PasswordError(f"password_env: environment variable {self.password_env!r} "
                                    "is not set; allowed is the name of a set variable")
            if not value:
                raise PasswordError(f"password_env: environment variable {self.password_env!r} "
                                    "is empty; allowed is a non-empty password")
            return value
        return None


def _read_password_file(path: Path) -> str:
    """The first line of the file, without its line ending (editors add one). A password file
    others can read gives away the keystore it unlocks, so it must be owner-only like a key."""
    try:
        check_owner_only(path, "password")
        text = path.read_text()
    except KeyPermissionError as error:
        raise PasswordError(f"password_file: {error}") from None
    except OSError as error:
        raise PasswordError(f"password_file: cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise PasswordError(f"password_file: {path} is not UTF-8 text") from None
    lines = text.splitlines()
    password = lines[0] if lines else ""
    if not password:
        raise PasswordError(f"password_file: {path} is empty; allowed is a file whose first "
                            "line is the password")
    return password


def check_new_password(password: str) -> None:
    """A fresh keystore gets a password of some length; old ones are opened with whatever."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"password: {len(password)} characters is too short; allowed are "
                            f"at least {MIN_PASSWORD_LENGTH}")
