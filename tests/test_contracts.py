"""The layout's contracts, checked by tools rather than by memory.

* import-linter (contracts in pyproject.toml): repository above manifests above
  metadata; inside repository the wiring on top, features independent of each other,
  shared parts below; only the store imports SQLAlchemy and the database drivers.
* No import cycle anywhere, counting imports inside functions and those made only for
  the type checker (under ``TYPE_CHECKING``).
* mypy: strict on metadata/ and manifests/, the default checks on repository/.
* ruff: lint and format.
* repository/ keeps at most eight modules at its top; the rest live in feature packages.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp

from tests.conftest import ROOT

PACKAGES = ("repository", "manifests", "metadata")
BIN = Path(sys.executable).parent


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = BIN / tool if (BIN / tool).exists() else shutil.which(tool)
    assert command, f"{tool} is not installed: pip install -e '.[test]'"
    return subprocess.run(
        [str(command), *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_cycles_and_only_cycles() -> None:
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert cycles({"a": ["b"], "b": ["c"], "c": []}) == []
    assert cycles({"a": ["b"], "b": ["a"], "c": ["d"], "d": ["c"]}) == [["a", "b"], ["c", "d"]]


def test_no_import_cycles_counting_imports_inside_functions() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False)
    modules = graph.modules
    edges = {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
    assert cycles(edges) == []


def test_import_contracts_hold() -> None:
    result = run("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_types_check() -> None:
    result = run("mypy", *(arg for package in PACKAGES for arg in ("-p", package)))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_ruff_lint_and_format() -> None:
    lint = run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout[-4000:]
    formatting = run("ruff", "format", "--check", ".")
    assert formatting.returncode == 0, formatting.stdout[-4000:]


def test_repository_has_at_most_eight_modules_at_its_top() -> None:
    top = sorted(p.name for p in (ROOT / "repository").glob("*.py"))
    assert len(top) <= 8, top
