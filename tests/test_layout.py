"""The shape of the code (see "Layout" in the design): no import cycles in `leftbook/`, not
even through imports inside functions; dependencies point one way (web and CLI -> domain ->
database -> settings); `onion/` knows nothing of Leftbook or Flask; views import no other
view; modules stay short.

Imports are read with `ast` from every module, wherever they are written (module level,
inside functions, under `if TYPE_CHECKING:`), without importing anything.
"""

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
PACKAGE = "leftbook"
MAX_LINES = 300

# Libraries that belong to the HTTP and command-line edges of the application.
EDGE_LIBRARIES = ("flask", "flask_wtf", "werkzeug", "click")
EDGE_PACKAGES = ("leftbook.web", "leftbook.cli")
# Where the edge libraries and packages may be imported: the edges themselves, the app factory
# and the server that runs the app.
EDGE_IMPORTERS = ("leftbook.web", "leftbook.cli", "leftbook.serving")
DOMAIN_PACKAGES = ("leftbook.posting", "leftbook.media", "leftbook.abuse", "leftbook.status",
                   "leftbook.moderation", "leftbook.events", "leftbook.search",
                   "leftbook.retention", "leftbook.reading")
ABOVE_DATABASE = (*DOMAIN_PACKAGES, *EDGE_PACKAGES, "leftbook.serving")
VIEWS = "leftbook.web.views"
TOP_LEVEL = ("leftbook", "boards", "onion", "static", "templates", "tests", "torrc.example",
             "setup.cfg", "README.md")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "leftbook.web.views.api"
    path: Path  # its file, relative to the checkout
    line: int
    target: str  # what is imported, resolved: "leftbook.posting.posts", "flask", ...

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def within(name: str, *packages: str) -> bool:
    """`name` is one of `packages` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in packages)


def module_files(package: str) -> dict[str, Path]:
    """Every module of a top-level package, by dotted name (a package by its __init__.py)."""
    found = {}
    for path in sorted((CHECKOUT / package).rglob("*.py")):
        relative = path.relative_to(CHECKOUT).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found[".".join(parts)] = path
    return found


@cache
def all_modules() -> dict[str, Path]:
    return {**module_files(PACKAGE), **module_files("onion")}


def resolve(name: str, modules: Iterable[str]) -> str:
    """The module that `name` lives in: itself if it is a module, else its longest module
    prefix (`leftbook.settings.load_settings` -> `leftbook.settings`)."""
    known = set(modules)
    candidate = name
    while candidate and candidate not in known:
        candidate = candidate.rpartition(".")[0]
    return candidate or name


def imports_in(module: str, path: Path) -> Iterator[Import]:
    """Every import statement of one module, anywhere in it, resolved to module names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    relative_path = path.relative_to(CHECKOUT) if path.is_relative_to(CHECKOUT) else path
    modules = all_modules()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = resolve(alias.name, modules) if alias.name.split(".")[0] in (
                    PACKAGE, "onion") else alias.name
                yield Import(module, relative_path, node.lineno, target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}" if node.module else package
            else:
                base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                # `from leftbook.x import y` names the module leftbook.x.y if there is one.
                target = full if alias.name != "*" and full in modules else base
                if target.split(".")[0] in (PACKAGE, "onion"):
                    target = resolve(target, modules)
                yield Import(module, relative_path, node.lineno, target)


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(i for module, path in all_modules().items() for i in imports_in(module, path))


def imports_from(*packages: str) -> list[Import]:
    return [i for i in all_imports() if within(i.module, *packages)]


def report(violations: list[str], rule: str) -> str:
    unique = list(dict.fromkeys(violations))  # `from flask import a, b` is one violation
    return f"{len(unique)} import(s) break the rule: {rule}\n  " + "\n  ".join(unique)


# ---- import cycles -------------------------------------------------------------------------


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the strongly connected components of `graph`."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
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
                components.append(sorted(component))
    return components


def one_cycle(start: str, graph: dict[str, set[str]], members: set[str]) -> list[str]:
    """A shortest path start -> ... -> start inside one strongly connected component."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return [start]


def package_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], Import]]:
    modules = module_files(PACKAGE)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    where: dict[tuple[str, str], Import] = {}
    for imp in imports_from(PACKAGE):
        if imp.target in modules and imp.target != imp.module:
            graph[imp.module].add(imp.target)
            where.setdefault((imp.module, imp.target), imp)
    return graph, where


def test_imports_are_found_everywhere_and_resolved_to_modules(tmp_path):
    """Imports inside functions and under TYPE_CHECKING count; `from leftbook.x import y` is
    leftbook.x.y when that is a module, else leftbook.x; relative imports are resolved."""
    path = tmp_path / "example.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "import leftbook.settings\n"
        "from leftbook import create_app\n"
        "if TYPE_CHECKING:\n"
        "    from leftbook import settings\n"
        "def f():\n"
        "    from leftbook.settings import load_settings\n"
        "    import flask.cli\n"
        "    class Inner:\n"
        "        from .. import settings\n"
        "        from . import nothing_here\n")
    found = [(i.line, i.target) for i in imports_in("leftbook.web.example", path)]
    assert sorted(found) == [
        (1, "typing"), (2, "leftbook.settings"), (3, "leftbook"), (5, "leftbook.settings"),
        (7, "leftbook.settings"), (8, "flask.cli"), (10, "leftbook.settings"),
        (11, "leftbook.web")]
    assert all_imports(), "no imports found at all: is the checkout where the test looks?"


def test_no_import_cycles_in_leftbook():
    graph, where = package_graph()
    cycles = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        cycle = one_cycle(component[0], graph, set(component))
        steps = [f"{a} ({where[a, b].where}: imports {b})" for a, b in pairwise(cycle)]
        cycles.append(f"cycle among {', '.join(component)}:\n      " + "\n   -> ".join(steps))
    assert not cycles, f"{len(cycles)} import cycle(s) in leftbook/ (imports inside " \
                       "functions count):\n  " + "\n  ".join(cycles)


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    components = [c for c in strongly_connected(graph) if len(c) > 1]
    assert components == [["a", "b", "c"]]
    assert one_cycle("a", graph, {"a", "b", "c"}) == ["a", "b", "c", "a"]


# ---- which way dependencies point ----------------------------------------------------------


def test_onion_never_imports_leftbook_or_flask():
    forbidden = [f"{i.where}: {i.module} imports {i.target}" for i in imports_from("onion")
                 if within(i.target, PACKAGE, "flask", "flask_wtf", "werkzeug")]
    assert not forbidden, report(forbidden, "onion/ never imports leftbook or Flask")


def test_only_the_web_and_cli_edges_import_flask_click_or_each_other():
    forbidden = []
    for imp in imports_from(PACKAGE):
        if imp.module == PACKAGE or within(imp.module, *EDGE_IMPORTERS):
            continue
        if within(imp.target, *EDGE_LIBRARIES, *EDGE_PACKAGES):
            forbidden.append(f"{imp.where}: {imp.module} imports {imp.target}")
    assert not forbidden, report(
        forbidden, f"only {', '.join(EDGE_IMPORTERS)} and leftbook/__init__.py import "
                   f"{', '.join(EDGE_LIBRARIES + EDGE_PACKAGES)}")


def test_the_web_never_imports_the_command_line():
    forbidden = [f"{i.where}: {i.module} imports {i.target}"
                 for i in imports_from("leftbook.web") if within(i.target, "leftbook.cli")]
    assert not forbidden, report(forbidden, "leftbook.web never imports leftbook.cli")


def test_the_database_imports_no_domain_package():
    forbidden = [f"{i.where}: {i.module} imports {i.target}"
                 for i in imports_from("leftbook.database")
                 if i.target == PACKAGE or within(i.target, *ABOVE_DATABASE)]
    assert not forbidden, report(
        forbidden, "leftbook.database imports no domain package (and not leftbook itself): "
                   + ", ".join(ABOVE_DATABASE))


def test_settings_import_nothing_above_them():
    forbidden = [f"{i.where}: {i.module} imports {i.target}"
                 for i in imports_from("leftbook.settings")
                 if i.target == PACKAGE or within(i.target, "leftbook.database",
                                                  *ABOVE_DATABASE, *EDGE_LIBRARIES)]
    assert not forbidden, report(forbidden, "leftbook.settings is the bottom layer")


def test_views_import_no_other_view():
    views = [m for m in module_files(PACKAGE) if m.startswith(VIEWS + ".")]
    assert views, f"no view modules found under {VIEWS}"
    forbidden = [f"{i.where}: {i.module} imports {i.target}"
                 for i in imports_from(*views)
                 if within(i.target, *views) and not within(i.target, i.module)]
    assert not forbidden, report(forbidden, "a view never imports another view")


# ---- size and place ------------------------------------------------------------------------


def test_modules_stay_short():
    lengths = sorted(((len(path.read_text().splitlines()), path.relative_to(CHECKOUT))
                      for path in all_modules().values()), reverse=True)
    too_long = [f"{path}: {count} lines" for count, path in lengths if count > MAX_LINES]
    longest = f"the longest is {lengths[0][1]} ({lengths[0][0]} lines)"
    assert not too_long, f"modules longer than {MAX_LINES} lines ({longest}); split them:\n  " \
                         + "\n  ".join(too_long)


def test_top_level_is_the_design_card():
    missing = [name for name in TOP_LEVEL if not (CHECKOUT / name).exists()]
    assert not missing, f"missing at the top level: {', '.join(missing)}"
    misplaced = [name for name in ("leftbook/templates", "leftbook/static", "leftbook/boards")
                 if (CHECKOUT / name).exists()]
    assert not misplaced, f"these belong at the top level: {', '.join(misplaced)}"


def test_every_folder_of_code_is_a_package():
    """A folder with modules but no __init__.py would be a namespace package by accident."""
    loose = sorted(str(folder.relative_to(CHECKOUT))
                   for package in (PACKAGE, "onion")
                   for folder in [CHECKOUT / package, *(CHECKOUT / package).rglob("*")]
                   if folder.is_dir() and folder.name != "__pycache__"
                   and any(folder.glob("*.py")) and not (folder / "__init__.py").is_file())
    assert not loose, f"folders with modules but no __init__.py: {', '.join(loose)}"
