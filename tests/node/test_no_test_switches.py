"""No test switches in production (issue 15): no module under src/ may read an environment
variable whose name contains TEST.

A switch like that ships to every operator: one stray export turns a production node into a test
double (a censoring sequencer, once). Tests inject faults through their harness instead (see
tests/l1_network/censoring_mempool.py). The scan reads the source rather than running it, so a
switch on a path no test exercises is caught too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[2] / "src"

TEST_IN_NAME = re.compile(r"TEST", re.IGNORECASE)
ENV_NAME_SHAPE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
TEST_WORD = re.compile(r"(?:^|_)TEST")
"""An environment-variable-shaped literal with TEST as (the start of) a word: ORDO_TEST_X or
TESTING_MODE, not CONTENT_TYPE_LATEST."""

OPERATOR_NAMED_READS = {
    ("ordo/keys/password_source.py", "self.password_env"),
    ("ordo/devnet/l1_choice.py", "name"),
}
"""Reads whose variable name the operator chooses (--password-env, --l1-deployer-key-env), so the
source cannot name it. A new read the scan cannot resolve must be looked at and listed here."""


@dataclass(frozen=True)
class EnvRead:
    module: str
    line: int
    key: str
    """The variable's name when the source fixes it, else the key expression's text."""
    resolved: bool


def module_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments (how a read usually names its variable)."""
    constants: dict[str, str] = {}
    for statement in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign):
            targets, value = [statement.target], statement.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = value.value
    return constants


def mentions_environ(node: ast.expr) -> bool:
    return any(_named(part, "environ") for part in ast.walk(node))


def _named(node: ast.AST, *names: str) -> bool:
    """A bare name or an attribute called one of ``names`` (``environ`` or ``os.environ``)."""
    if isinstance(node, ast.Name):
        return node.id in names
    return isinstance(node, ast.Attribute) and node.attr in names


def _reads_environ(function: ast.expr) -> bool:
    """os.getenv(...), or os.environ.get/pop/setdefault/__getitem__(...)."""
    if _named(function, "getenv", "getenvb"):
        return True
    return isinstance(function, ast.Attribute) and function.attr in (
        "get", "pop", "setdefault", "__getitem__") and mentions_environ(function.value)


def env_keys(tree: ast.Module) -> Iterator[tuple[int, ast.expr]]:
    """The key expression of every environment read: os.environ.get/pop/setdefault/[...],
    ``in os.environ``, os.getenv (however os or environ was imported)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and _reads_environ(node.func):
            yield node.lineno, node.args[0]
        elif isinstance(node, ast.Subscript) and mentions_environ(node.value):
            yield node.lineno, node.slice
        elif isinstance(node, ast.Compare) and any(
                isinstance(op, ast.In | ast.NotIn) for op in node.ops) and any(
                mentions_environ(right) for right in node.comparators):
            yield node.lineno, node.left


def resolve(key: ast.expr, local: dict[str, str], everywhere: dict[str, set[str]]) -> str | None:
    """The variable's name if the source fixes it: a literal, a module constant (here or
    imported under its own name), or an f-string / concatenation of those."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    if isinstance(key, ast.Name):
        if key.id in local:
            return local[key.id]
        candidates = everywhere.get(key.id, set())
        return " | ".join(sorted(candidates)) if candidates else None
    if isinstance(key, ast.BinOp) and isinstance(key.op, ast.Add):
        left, right = (resolve(key.left, local, everywhere),
                       resolve(key.right, local, everywhere))
        return None if left is None or right is None else left + right
    if isinstance(key, ast.JoinedStr):
        parts = [resolve(part.value if isinstance(part, ast.FormattedValue) else part,
                         local, everywhere) for part in key.values]
        return None if any(part is None for part in parts) else "".join(
            part for part in parts if part is not None)
    return None


def scan(sources: dict[str, str]) -> tuple[list[EnvRead], list[tuple[str, int, str]]]:
    """(every environment read, every env-name-shaped literal with a TEST word) in ``sources``,
    a map from module path to its text."""
    trees = {module: ast.parse(text, module) for module, text in sources.items()}
    constants = {module: module_constants(tree) for module, tree in trees.items()}
    everywhere: dict[str, set[str]] = {}
    for table in constants.values():
        for name, value in table.items():
            everywhere.setdefault(name, set()).add(value)
    reads: list[EnvRead] = []
    literals: list[tuple[str, int, str]] = []
    for module, tree in trees.items():
        for line, key in env_keys(tree):
            name = resolve(key, constants[module], everywhere)
            reads.append(EnvRead(module, line, ast.unparse(key) if name is None else name,
                                 name is not None))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and ENV_NAME_SHAPE.match(node.value) and TEST_WORD.search(node.value)):
                literals.append((module, node.lineno, node.value))
    return reads, literals


def source_modules() -> dict[str, str]:
    return {path.relative_to(SOURCE_ROOT).as_posix(): path.read_text()
            for path in sorted(SOURCE_ROOT.rglob("*.py"))}


def test_no_source_module_reads_a_test_environment_variable() -> None:
    sources = source_modules()
    assert "ordo/node/runner.py" in sources  # the scan really sees the node
    reads, literals = scan(sources)
    switches = [read for read in reads if read.resolved and TEST_IN_NAME.search(read.key)]
    assert switches == [], "production code reads test switches; inject the fault from the " \
        "test harness instead"
    assert literals == [], "environment-variable names with TEST in production code"
    unresolved = {(read.module, read.key) for read in reads if not read.resolved}
    assert unresolved <= OPERATOR_NAMED_READS, (
        f"environment reads whose name the scan cannot see: {unresolved - OPERATOR_NAMED_READS};"
        " name the variable with a literal or module constant, or list an operator-named read")


def test_the_scan_catches_the_switch_issue_15_removed() -> None:
    """The scan finds the shape the old censorship switch had, and its usual variations."""
    old_switch = ('import os\nCENSOR_ENV = "ORDO_TEST_CENSOR_SENDERS"\n'
                  'def senders():\n    return os.environ.get(CENSOR_ENV, "")\n')
    variations = (
        'from os import getenv\nX = getenv("ordo_test_x")\n',
        'from os import environ\nif "MY_TEST_MODE" in environ:\n    pass\n',
        'import os\nPREFIX = "ORDO_"\nX = os.environ[PREFIX + "TESTING"]\n',
        'from a.settings import SWITCH\nimport os\nX = os.environ.get(SWITCH)\n',
    )
    reads, literals = scan({"old/runner.py": old_switch, "a/settings.py": 'SWITCH = "A_TEST"\n'})
    assert [read.key for read in reads] == ["ORDO_TEST_CENSOR_SENDERS"]
    assert [value for _, _, value in literals] == ["ORDO_TEST_CENSOR_SENDERS", "A_TEST"]
    for index, text in enumerate(variations):
        reads, _ = scan({f"m{index}.py": text, "a/settings.py": 'SWITCH = "A_TEST"\n'})
        assert any(read.resolved and TEST_IN_NAME.search(read.key) for read in reads), text
    reads, literals = scan({"ok.py": 'import os\nLATEST = "latest"\n'
                                     'X = os.environ.get("XDG_CACHE_HOME")\n'})
    assert not any(TEST_IN_NAME.search(read.key) for read in reads) and literals == []
