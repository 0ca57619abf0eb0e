"""The packages of ``src/ordo`` form layers: no package imports, directly or through others, a
package that imports it back (docs/design.md §2).

Every module is parsed with ``ast`` (imports inside functions count: they are dependencies too,
only later), each import is mapped to the top-level part of ``ordo`` it names (``ordo.node.chain``
is ``node``; ``cli.py`` is ``cli``), and the graph between parts must have no cycle. A cycle is
printed with one import site per edge so that whoever adds it sees which line to move.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from pathlib import Path

import ordo

SOURCE_ROOT = Path(ordo.__file__).resolve().parent
PACKAGE = "ordo"

Graph = Mapping[str, Mapping[str, list[str]]]
"""part -> imported part -> import sites ("path:line")."""


@dataclass(frozen=True)
class ModuleFile:
    path: Path
    name: tuple[str, ...]
    """Dotted module name; a package's ``__init__`` is the package itself."""
    is_package: bool


def module_files(root: Path) -> Iterator[ModuleFile]:
    for path in sorted(root.rglob("*.py")):
        parts = (PACKAGE, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            yield ModuleFile(path, parts[:-1], True)
        else:
            yield ModuleFile(path, parts, False)


def parts_of(root: Path) -> frozenset[str]:
    """The top-level parts: subpackages and modules directly under ``ordo``."""
    names = {path.name for path in root.iterdir() if (path / "__init__.py").is_file()}
    names |= {path.stem for path in root.glob("*.py") if path.stem != "__init__"}
    return frozenset(names)


def imported_names(module: ModuleFile, tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Every absolute module name an import statement anywhere in the module may load (for
    ``from X import a`` both ``X`` and ``X.a``, since ``a`` may be a submodule)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.name if module.is_package else module.name[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join((*base, node.module) if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:
                yield f"{target}.{alias.name}", node.lineno


def part_of(name: str, parts: Set[str]) -> str | None:
    pieces = name.split(".")
    if len(pieces) < 2 or pieces[0] != PACKAGE or pieces[1] not in parts:
        return None
    return pieces[1]


def import_graph(root: Path) -> Graph:
    parts = parts_of(root)
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module in module_files(root):
        if len(module.name) < 2:
            continue  # ordo/__init__.py: the version, imports no part
        source = module.name[1]
        tree = ast.parse(module.path.read_text(), str(module.path))
        for name, line in imported_names(module, tree):
            target = part_of(name, parts)
            if target is not None and target != source:
                site = f"{module.path.relative_to(root.parent)}:{line}"
                if site not in graph[source][target]:
                    graph[source][target].append(site)
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's components, iteratively; each with more than one part holds a cycle."""
    nodes = sorted(set(graph) | {target for edges in graph.values() for target in edges})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, {})))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def one_cycle(graph: Graph, component: list[str]) -> list[str]:
    """A shortest cycle through the component's first part (breadth first, inside it)."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph.get(node, {})):
                if target not in members:
                    continue
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"component {component} has no cycle through {start}")


def describe_cycles(graph: Graph) -> list[str]:
    lines = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        cycle = one_cycle(graph, component)
        lines.append(f"cycle between {len(component)} parts {component}: "
                     + " -> ".join(cycle))
        for source, target in itertools.pairwise(cycle):
            sites = graph[source][target]
            more = f" (+{len(sites) - 1} more)" if len(sites) > 1 else ""
            lines.append(f"  {source} -> {target}: {sites[0]}{more}")
    return lines


def layers(graph: Graph) -> list[list[str]]:
    """Parts by layer, lowest first: each imports only parts of lower layers (needs no cycle)."""
    nodes = set(graph) | {target for edges in graph.values() for target in edges}
    placed: dict[str, int] = {}
    while len(placed) < len(nodes):
        ready = [node for node in nodes - placed.keys()
                 if all(target in placed for target in graph.get(node, {}))]
        assert ready, "the graph has a cycle"
        for node in ready:
            placed[node] = 1 + max((placed[t] for t in graph.get(node, {})), default=-1)
    by_layer: dict[int, list[str]] = defaultdict(list)
    for node, layer in placed.items():
        by_layer[layer].append(node)
    return [sorted(by_layer[layer]) for layer in sorted(by_layer)]


def test_no_cycle_between_the_parts_of_ordo() -> None:
    graph = import_graph(SOURCE_ROOT)
    problems = describe_cycles(graph)
    assert not problems, "imports between parts of ordo form cycles:\n" + "\n".join(problems)


def test_core_imports_no_other_part() -> None:
    assert dict(import_graph(SOURCE_ROOT).get("core", {})) == {}


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The checker can fail: a cycle made of a relative import, an import inside a function and
    a ``from ordo import part`` is found and printed with its sites."""
    root = tmp_path / PACKAGE
    for part in ("low", "high", "side"):
        (root / part).mkdir(parents=True)
        (root / part / "__init__.py").write_text("")
    (root / "__init__.py").write_text("__version__ = '0'\n")
    (root / "tool.py").write_text("from ordo import __version__, side\n")
    (root / "high" / "shell.py").write_text("from ..low.core import thing\n")
    (root / "low" / "core.py").write_text(
        "thing = 1\n\ndef late():\n    import ordo.side.helper\n")
    (root / "side" / "helper.py").write_text("from ordo import high\n")
    graph = import_graph(root)
    assert {source: sorted(targets) for source, targets in graph.items()} == {
        "high": ["low"], "low": ["side"], "side": ["high"], "tool": ["side"]}
    problems = describe_cycles(graph)
    assert problems[0] == ("cycle between 3 parts ['high', 'low', 'side']: "
                           "high -> low -> side -> high")
    assert problems[1:] == ["  high -> low: ordo/high/shell.py:1",
                            "  low -> side: ordo/low/core.py:4",
                            "  side -> high: ordo/side/helper.py:1"]


def test_layers_put_every_part_above_what_it_imports() -> None:
    graph = {"shell": {"core": ["s:1"], "mid": ["s:2"]}, "mid": {"core": ["m:1"]}, "lone": {}}
    assert layers(graph) == [["core", "lone"], ["mid"], ["shell"]]


if __name__ == "__main__":
    # The layer list of docs/design.md §2: python tests/core/test_import_layers.py
    for number, parts in enumerate(layers(import_graph(SOURCE_ROOT))):
        print(number, " ".join(parts))
