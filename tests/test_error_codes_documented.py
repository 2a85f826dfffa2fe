"""Every error code the server can send is in the catalogue (common/error_codes.py) and in the
README's "Error codes" section, so a client developer can branch on all of them. The codes are
found where they are raised: `code="..."` in domain errors and DRF exceptions, WebSocket
`FrameError("...")` and error frames, and the door's own `_error(status, "...")` answers."""

import re
from pathlib import Path

import pytest

from common.error_codes import ERROR_CODES
from common.errors import Conflict, Invalid

ROOT = Path(__file__).resolve().parent.parent
# The server's own code: not tests, tools, migrations or anything hidden (.venv, caches).
SOURCES = [
    path
    for path in ROOT.glob("*/**/*.py")
    if (parts := path.relative_to(ROOT).parts)[0] not in {"tests", "bench", "tools", "demo", "var"}
    and "migrations" not in parts
    and not any(part.startswith(".") for part in parts)
]
RAISED = re.compile(
    r'code="([a-z_]+)"|FrameError\(\s*"([a-z_]+)"|\b_error\(\s*(?:\d{3},\s*)?"([a-z_]+)"|^TOO_LARGE = \("([a-z_]+)"',
    re.M,
)


def raised_codes() -> set[str]:
    codes = set()
    for path in SOURCES:
        for match in RAISED.finditer(path.read_text()):
            codes.add(next(group for group in match.groups() if group))
    return codes


def documented_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("**Error codes.**") : readme.index("**Privacy.**")]


def test_the_scan_finds_the_codes_of_every_kind_of_refusal():
    assert {"idempotency_conflict", "invalid_json", "not_found", "request_too_large", "token_expired"} <= raised_codes()


def test_every_error_code_raised_is_in_the_catalogue():
    assert sorted(raised_codes() - set(ERROR_CODES)) == []


def test_every_error_code_of_the_catalogue_is_documented_in_the_readme():
    section = documented_section()
    assert sorted(code for code in ERROR_CODES if f"`{code}`" not in section) == []


def test_a_business_rule_cannot_raise_a_code_outside_the_catalogue():
    assert Conflict("Taken.", code="already_claimed").code == "already_claimed"
    with pytest.raises(ValueError, match="not in common/error_codes.py"):
        Invalid("Nope.", code="made_up_on_the_spot")
