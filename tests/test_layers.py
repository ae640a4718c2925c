"""The layers of crmdp (STYLE.md, issue 15): imports run one way only,

    lib → orgs → history → customers → deals → notes, tickets → messaging → listeners → api, web

and `backends` is imported by anyone and imports only `lib`. Every import in every
module counts, those inside functions and under TYPE_CHECKING included: a cycle
hidden in a function is still a cycle. Where a model on the left points at one on
the right, its foreign key names it by string ("listeners.Listener"), which is no
import. The project's own top-level modules (settings, urls, cli, wsgi, __main__)
wire the layers together and stand outside them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import crmdp

ROOT = Path(crmdp.__file__).parent

# Each layer's rank: a module may import its own layer's package and those ranked
# lower. Packages of the same rank (notes and tickets; api and web) may not import
# each other.
LAYERS: dict[str, int] = {
    "lib": 0,
    "orgs": 1,
    "history": 2,
    "customers": 3,
    "deals": 4,
    "notes": 5,
    "tickets": 5,
    "messaging": 6,
    "listeners": 7,
    "api": 8,
    "web": 8,
}
BACKENDS = "backends"
OUTSIDE = {"settings", "urls", "cli", "wsgi", "__main__", "__init__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> Iterator[tuple[int, str]]:
    """(line, module) for each crmdp module `path` imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "crmdp":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "crmdp":
                continue
            for alias in node.names:
                # `from crmdp.web import layout` imports the module crmdp.web.layout.
                submodule = f"{target}.{alias.name}"
                yield node.lineno, submodule if submodule in known else target


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the crmdp package itself
    return parts[1]


def graph() -> dict[str, list[tuple[int, str]]]:
    found = modules()
    known = set(found)
    return {name: list(imports(name, path, known)) for name, path in found.items()}


def test_the_layers_are_the_packages_of_crmdp() -> None:
    """A new package must be given its place in the layers (here and in STYLE.md)."""
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(LAYERS) | {BACKENDS}
    loose = {p.stem for p in ROOT.glob("*.py")}
    assert loose <= OUTSIDE


def test_imports_run_one_way_through_the_layers() -> None:
    wrong = []
    for module, targets in graph().items():
        source = layer_of(module)
        if source is None or source in OUTSIDE:
            continue
        path = modules()[module].relative_to(ROOT.parent)
        for line, target in targets:
            dest = layer_of(target)
            if dest == source:
                continue
            if dest is None or dest in OUTSIDE:
                wrong.append(f"{path}:{line} imports {target} (the project's wiring)")
            elif source == BACKENDS:
                if dest != "lib":
                    wrong.append(f"{path}:{line} imports {target} (backends imports only lib)")
            elif dest == BACKENDS:
                continue
            elif LAYERS[dest] >= LAYERS[source]:
                wrong.append(f"{path}:{line} imports {target} ({source} may not import {dest})")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_no_import_cycles_between_modules_of_a_package() -> None:
    """Within one package too, imports form no cycle (web.access ↔ web.layout was one)."""
    edges: dict[str, set[str]] = {}
    for module, targets in graph().items():
        edges[module] = {
            target
            for _, target in targets
            if layer_of(target) == layer_of(module)
            and target != module
            # a package's __init__ runs before its modules: importing it is no edge back
            and not module.startswith(target + ".")
        }
    cycles = [sorted(group) for group in strongly_connected(edges) if len(group) > 1]
    assert not cycles, f"import cycles: {cycles}"


def strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively (a deep package would exhaust the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return groups


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The graph reads every import, not only those at the top of a module."""
    hidden = tmp_path / "hidden.py"
    hidden.write_text(
        "def later():\n    from crmdp.web import layout\n    import crmdp.api.auth\n"
        "    from . import sibling\n"
    )
    found = list(imports("crmdp.lib.hidden", hidden, {"crmdp.web.layout", "crmdp.lib.sibling"}))
    assert found == [(2, "crmdp.web.layout"), (3, "crmdp.api.auth"), (4, "crmdp.lib.sibling")]
