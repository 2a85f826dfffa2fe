"""House rules the code keeps, checked rather than promised (see README, "Layout")."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
USE_CASE_MODULES = sorted(
    path.relative_to(ROOT).as_posix() for pattern in ("*/services.py", "*/selectors.py") for path in ROOT.glob(pattern)
)


def positional_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    arguments = function.args
    named = [argument.arg for argument in arguments.posonlyargs + arguments.args]
    return named + ([f"*{arguments.vararg.arg}"] if arguments.vararg else [])


def test_the_use_case_modules_are_found():
    assert {"insights/services.py", "group_sessions/selectors.py", "privacy/services.py"} <= set(USE_CASE_MODULES)


@pytest.mark.parametrize("module", USE_CASE_MODULES)
def test_every_public_use_case_takes_keyword_arguments_only(module):
    """Callers name what they pass (`orphan_release(user=…, orphan_id=…)`), so a use case's
    arguments can be added to or reordered without a caller silently passing the wrong thing."""
    tree = ast.parse((ROOT / module).read_text(), filename=module)
    offenders = {
        node.name: positional_parameters(node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("_")
        and positional_parameters(node)
    }
    assert offenders == {}, f"{module}: make these keyword-only (def f(*, …)), or move them out if they format"


DOOR_MODULES = sorted(
    path.relative_to(ROOT).as_posix()
    for door in ("api", "realtime", "dashboard")
    for path in (ROOT / door).glob("*.py")
)
# Queries, transactions and model managers: what a door leaves to the domain's selectors and
# services. (api/health.py's readiness check asks the connection itself whether it answers.)
ORM_USE = re.compile(r"\.objects\.|\btransaction\.|from django\.db\.models|\.select_related\(|\.annotate\(|\b[FQ]\(")


@pytest.mark.parametrize("module", DOOR_MODULES)
def test_a_door_does_not_use_the_orm(module):
    source = (ROOT / module).read_text()
    assert ORM_USE.findall(source) == [], f"{module}: move the query into a selector or service"
