"""The input shapes that once reached a 500, sent to every operation of the OpenAPI schema so
they stay found: tampered and structured cursors, odd Unicode digits ("²", "٣"), numbers too big
for any column, SQL-looking text, JSON nested 10,000 deep and bodies over the upload limit.

Schemathesis (test_api_schema.py) generates inputs that fit the schema; these do not. Each
shape goes into each path parameter, each query parameter (with the path's ids real, so the
query is read) and the JSON body, and no answer may be a 5xx. One test per operation, each on
the full demo world, a few hundred requests in all.
"""

import base64
import json
from urllib.parse import quote, urlencode

import pytest
from django.db.models import Q
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from acknowledgements.models import Acknowledgement
from agreements.models import Agreement
from commitments.models import Commitment
from exercises.models import Exercise, Run
from group_sessions.models import GroupSession
from nudges.models import Device, Nudge
from orphans.models import Orphan
from pairs.models import Pair
from reflections.models import JournalDevice, Reflection
from teams.models import CoachAssignment, Invitation

ODD_TEXT = ["²", "٣", "-1", "0", "9" * 30, "9" * 5000, "1' OR 1=1", "1e3", " ", "\u202e1", "\x00"]
CURSORS = [
    base64.b64encode(shape).decode()
    for shape in (b"p=abc", b"p=-1", b"p=1' OR 1=1", b"p=2026-13-45 99:00:00+00:00", b"o=-1&r=2", b"\xff\x00")
] + [base64.urlsafe_b64encode(b"0001-01-01T00:00:00+01:00|0|" + b"9" * 30).decode(), "cD0x:forged"]
ODD_VALUES = ["²", "٣", -1, 10**30, "1' OR 1=1", None, [], {"a": [[[[1]]]]}]
DEEP = {"arrays": "[" * 10_000 + "]" * 10_000, "objects": '{"a":' * 10_000 + "1" + "}" * 10_000}
BODY_LIMIT = 64 * 1024  # the upload limit during this run: the deep bodies fit, an oversized one stays small

SCHEMA = SchemaGenerator().get_schema(public=True)
OPERATIONS = [
    (path, method.upper(), operation)
    for path, operations in SCHEMA["paths"].items()
    for method, operation in operations.items()
]


def _real_parameters(member: User) -> dict[str, str]:
    """Path values that reach the view for the demo member (or the coach, under /coach/)."""
    team = member.memberships.order_by("pk").first().team
    first = lambda queryset: str(queryset.order_by("pk").values_list("pk", flat=True).first() or 1)  # noqa: E731
    return {
        "team_id": str(team.pk),
        "organisation_id": str(member.organisation_id),
        "reflection_id": first(Reflection.objects.filter(author=member)),
        "acknowledgement_id": first(Acknowledgement.objects.filter(recipient=member)),
        "orphan_id": first(Orphan.objects.filter(team=team)),
        "run_id": first(Run.objects.filter(user=member)),
        "nudge_id": first(Nudge.objects.filter(user=member)),
        "session_id": first(GroupSession.objects.filter(team=team)),
        "pair_id": first(Pair.objects.filter(Q(inviter=member) | Q(partner=member))),
        "agreement_id": first(Agreement.objects.filter(team=team)),
        "commitment_id": first(Commitment.objects.filter(volunteer=member)),
        "device_id": first(JournalDevice.objects.filter(author=member)),
        "user_id": str(member.pk),
        "invitation_id": first(Invitation.objects.filter(team=team)),
        "slug": Exercise.objects.order_by("pk").values_list("slug", flat=True).first() or "x",
        "token": Device.objects.filter(user=member).values_list("token", flat=True).first() or "x",
        "kind": "heart",
        "assignment_id": first(CoachAssignment.objects.filter(organisation_id=member.organisation_id)),
        "admin_id": first(User.objects.filter(administered__organisation_id=member.organisation_id)),
    }


def _body_properties(operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return []
    schema = content["schema"]
    if "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return list(schema.get("properties", {}))


def _requests(path: str, method: str, operation: dict, real: dict[str, str]):
    """(path, query, body) triples, each carrying one hostile shape."""
    parameters = operation.get("parameters", [])
    path_names = [p["name"] for p in parameters if p["in"] == "path"]
    real_path = path.format(**{name: real[name] for name in path_names})
    for shape in ODD_TEXT:
        if path_names:
            yield path.format(**{name: quote(shape) for name in path_names}), {}, None
        for parameter in (p for p in parameters if p["in"] == "query"):
            yield real_path, {parameter["name"]: shape}, None
    if any(p["in"] == "query" and p["name"] == "cursor" for p in parameters):
        for cursor in CURSORS:
            yield real_path, {"cursor": cursor}, None
    if "requestBody" in operation or method in ("POST", "PATCH", "PUT"):
        yield from ((real_path, {}, body) for body in DEEP.values())
        yield real_path, {}, json.dumps({"padding": "x" * BODY_LIMIT})
        properties = _body_properties(operation)
        for value in ODD_VALUES if properties else []:
            yield real_path, {}, json.dumps({name: value for name in properties})


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS])
def test_no_hostile_shape_reaches_a_server_error(path, method, operation, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = BODY_LIMIT
    member = User.objects.get(email="member1@demo.test")
    caller = member
    if path.startswith("/api/v1/coach/"):
        caller = User.objects.get(email="coach@demo.test")
    elif path.startswith("/api/v1/organisations/"):
        caller = User.objects.get(email="admin@demo.test")
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(caller)}")
    failures = []
    for url, query, body in _requests(path, method, operation, _real_parameters(member)):
        if query:
            url = f"{url}?{urlencode(query)}"
        response = client.generic(method, url, body or "", content_type="application/json")
        if response.status_code >= 500:
            failures.append((response.status_code, url[:120], (body or "")[:60]))
    assert failures == []
