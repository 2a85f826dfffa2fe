"""The nudges package stays untangled: small modules, no import cycle, triggers (what features
call) that need no feature app, and every kind one complete entry.

Imports are read from the source (module level only: a task imports the service it calls inside
the task function, which is how a task module and a service module avoid importing each other).
"""

import ast
from pathlib import Path

import pytest
from django.db.models import BooleanField

from nudges.kinds import KINDS
from nudges.models import Kind, Preferences

ROOT = Path(__file__).resolve().parent.parent
NUDGES = ROOT / "nudges"
FEATURE_APPS = {
    "accounts",
    "acknowledgements",
    "exercises",
    "feed",
    "group_sessions",
    "insights",
    "orphans",
    "privacy",
    "reflections",
    "teams",
}
MAX_LINES = 200


def _modules() -> dict[str, Path]:
    """Every module of the nudges package but its migrations, by dotted name."""
    files = (path for path in NUDGES.rglob("*.py") if "migrations" not in path.parts)
    return {_name(path): path for path in files}


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _source(module: str) -> Path | None:
    """The project file of a module, or None for the standard library and installed packages."""
    base = ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(path: Path) -> set[str]:
    """Project modules imported at module level (`from package import submodule` names the submodule)."""
    found = set()
    statements = list(ast.parse(path.read_text()).body)
    while statements:
        node = statements.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            submodules = {name for name in names if _source(name)}
            found.update(submodules if len(submodules) == len(names) else {*submodules, node.module})
        elif isinstance(node, (ast.If, ast.Try)):
            statements.extend(ast.iter_child_nodes(node))
    return {module for module in found if _source(module)}


def _reached_from(module: str) -> set[str]:
    reached, waiting = set(), [module]
    while waiting:
        for imported in _imports(_source(waiting.pop())) - reached:
            reached.add(imported)
            waiting.append(imported)
    return reached


def test_no_nudges_module_is_longer_than_one_sitting():
    too_long = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert too_long == {}


def test_the_nudges_package_has_no_import_cycle():
    modules = _modules()
    graph = {name: _imports(path) & modules.keys() for name, path in modules.items()}
    done, on_path = set(), []

    def visit(name):
        if name in on_path:
            pytest.fail(f"import cycle: {' -> '.join(on_path[on_path.index(name) :] + [name])}")
        if name not in done:
            on_path.append(name)
            for imported in sorted(graph[name]):
                visit(imported)
            on_path.pop()
            done.add(name)

    for name in sorted(graph):
        visit(name)


def test_the_triggers_features_call_need_no_feature_app():
    reached_apps = {module.split(".")[0] for module in _reached_from("nudges.triggers")}
    assert reached_apps & FEATURE_APPS == set()


def test_every_kind_is_one_entry_with_its_own_preference():
    assert sorted(KINDS) == sorted(Kind.values)
    for name, kind in KINDS.items():
        assert kind.name == name
        assert isinstance(Preferences._meta.get_field(kind.preference), BooleanField)
