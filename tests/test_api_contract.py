"""What every phone can rely on: paths, error shape, schema, docs and health checks."""

import inspect
import re
import uuid

import pytest
from django.conf import settings
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft7Validator

import insights.anonymity
import insights.selectors
from acknowledgements.factories import AcknowledgementFactory
from api.asyncapi import as_json_schema
from exercises.factories import ExerciseFactory
from exercises.models import Exercise
from orphans.factories import OrphanFactory
from orphans.services import orphan_claim, orphan_done
from tests import test_authorization_matrix as authorization
from tests.conftest import error_codes
from tests.test_authorization_matrix import _generous_sign_in_limits, firebase  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_a_trailing_slash_is_optional_and_never_redirects(client_for, member):
    client = client_for(member)
    without, with_slash = client.get("/api/v1/me"), client.get("/api/v1/me/")
    assert (without.status_code, with_slash.status_code) == (200, 200)
    assert without.json() == with_slash.json()


def test_a_post_with_a_trailing_slash_is_served_not_redirected(anonymous, member):
    response = anonymous.post(
        "/api/v1/auth/token/", {"email": member.email, "password": "a-long-test-password"}, format="json"
    )
    assert response.status_code == 200


def test_an_unknown_path_answers_in_the_error_shape(anonymous):
    response = anonymous.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "No such path.", "attr": None}],
    }


def test_a_wrong_method_is_a_405_in_the_error_shape(client_for, member):
    response = client_for(member).delete("/api/v1/today")
    assert response.status_code == 405
    assert error_codes(response) == [(None, "method_not_allowed")]


def test_malformed_json_is_a_400(client_for, member):
    response = client_for(member).generic("POST", "/api/v1/reflections", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_codes(response) == [(None, "parse_error")]


def test_a_form_post_is_an_unsupported_media_type(client_for, member):
    response = client_for(member).post("/api/v1/reflections", {"body": "x"}, format="multipart")
    assert response.status_code == 415


def test_the_openapi_schema_is_generated_from_the_code(anonymous):
    response = anonymous.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("openapi: 3")
    for path in ("/api/v1/reflections:", "/api/v1/acknowledgements:", "/api/v1/today:", "/api/v1/auth/firebase:"):
        assert path in text


def test_the_interactive_docs_load_their_assets_from_this_server(anonymous):
    page = anonymous.get("/api/docs/").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    asset = Client().get(f"{settings.STATIC_URL}drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200


def test_healthz_answers_without_touching_anything(anonymous, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert anonymous.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_the_database_and_the_configured_channel_layer(anonymous):
    response = anonymous.get("/readyz")
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "channel_layer": "ok"}}
    assert response.status_code == 200


def test_readyz_says_degraded_when_the_channel_layer_is_down(anonymous, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layer.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},  # discard port: nothing listens
        }
    }
    response = anonymous.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["channel_layer"].startswith("unavailable")


def test_the_channel_layer_is_redis_when_redis_url_is_set():
    """CI's second pass sets REDIS_URL: the suite then runs on the real Redis layer."""
    expected = "realtime.layer.RedisChannelLayer" if settings.REDIS_URL else "channels.layers.InMemoryChannelLayer"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == expected


# The schema a typed client is generated from

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = [
    pytest.param(path, method, operation, id=f"{method.upper()} {path}")
    for path, operations in SCHEMA["paths"].items()
    for method, operation in operations.items()
]


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS)
def test_every_operation_is_tagged_by_area_and_summarised_in_one_line(path, method, operation):
    assert operation["tags"] and operation["tags"] != ["v1"]
    assert {tag["name"] for tag in SCHEMA["tags"]} >= set(operation["tags"]), "an undescribed tag"
    assert operation.get("summary", "").strip()
    assert "\n" not in operation["summary"]


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS)
def test_every_id_in_a_path_is_an_integer_like_the_ids_in_bodies(path, method, operation):
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"].endswith("_id"):
            assert parameter["schema"]["type"] == "integer", parameter


def test_closed_sets_are_enumerations_in_the_schema():
    def enum_of(schema: dict) -> list:
        if "$ref" in schema:
            return enum_of(SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
        if "oneOf" in schema:  # a nullable enumeration: the values, or null
            return [value for option in schema["oneOf"] for value in enum_of(option)]
        return schema["enum"]

    components = SCHEMA["components"]["schemas"]
    reaction = SCHEMA["paths"]["/api/v1/acknowledgements/{acknowledgement_id}/reactions/{kind}"]["post"]
    [kind] = [p for p in reaction["parameters"] if p["name"] == "kind"]
    assert set(enum_of(kind["schema"])) == {"heart", "clap", "inspired", "thanks"}
    assert "jumped_in" in enum_of(components["Acknowledgement"]["properties"]["behaviour"])
    assert set(enum_of(components["Acknowledgement"]["properties"]["visibility"])) == {"private", "team"}
    assert "seen" in enum_of(components["Nudge"]["properties"]["kind"])
    assert set(enum_of(components["Membership"]["properties"]["role"])) == {"member", "lead"}
    assert "fewer_than_k" in enum_of(components["Cell"]["properties"]["suppressed"])


def test_the_suppression_reasons_documented_are_every_one_the_insights_give():
    """The enum is honest: a reason the selectors can give and the catalogue lacks fails here."""
    source = inspect.getsource(insights.anonymity) + inspect.getsource(insights.selectors)
    given = {a or b for a, b in re.findall(r'hidden\("(\w+)"\)|return "(\w+)"', source)}
    assert given == set(insights.anonymity.SUPPRESSION_REASONS)


def test_today_says_its_exercise_may_be_null():
    assert SCHEMA["components"]["schemas"]["Today"]["properties"]["exercise"].get("nullable") is True


def test_the_schema_says_what_proves_an_erasure():
    body = SCHEMA["paths"]["/api/v1/me"]["delete"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(SCHEMA["components"]["schemas"][body["$ref"].rpartition("/")[2]]["properties"]) == {
        "password",
        "id_token",
    }


def test_a_delete_without_a_declared_body_documents_none():
    assert "requestBody" not in SCHEMA["paths"]["/api/v1/reflections/{reflection_id}"]["delete"]


# Every operation, called the normal way, answers as its schema says

HTTP_CALLS = [
    pytest.param(route, method, id=f"{method} /{route}")
    for route, method in sorted(authorization.EXPECTED)
    if route.startswith("api/v1/")
]


def _schema_operation(route: str, method: str) -> dict:
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return SCHEMA["paths"][path][method.lower()]


def _caller(route: str, method: str) -> str:
    """The first person the authorisation table lets succeed."""
    row = authorization.EXPECTED[(route, method)]
    return next(
        role for role, expected in zip(authorization.ROLES, row) if isinstance(expected, int) and expected < 300
    )


def test_every_operation_of_the_schema_is_called_below():
    called = {(_schema_operation(route, method)["operationId"]) for route, method in (p.values for p in HTTP_CALLS)}
    assert called == {operation["operationId"] for _, _, operation in (p.values for p in OPERATIONS)}


@pytest.mark.parametrize(("route", "method"), HTTP_CALLS)
def test_a_successful_call_answers_a_documented_status_and_body(route, method, request):
    if route == "api/v1/auth/firebase":
        request.getfixturevalue("firebase")
    world = authorization.build_world()
    authorization.PREPARE.get((route, method), lambda w: None)(world)

    response = authorization.request_as(world, route, method, _caller(route, method))

    assert_as_documented(response, _schema_operation(route, method))


def assert_as_documented(response, operation: dict) -> None:
    """A success status the operation documents, and a body its schema describes exactly
    (null only where it says nullable, no undocumented key); a 204 without a body."""
    documented = operation["responses"]
    successes = {int(status) for status in documented if status.startswith("2")}
    assert response.status_code in successes, f"{response.status_code}, documented: {sorted(successes)}"
    answer = documented[str(response.status_code)]
    if response.status_code == 204:
        assert response.content == b"" and "content" not in answer
        return
    if response["Content-Type"].startswith("application/json"):
        schema = answer["content"]["application/json"]["schema"]
        resolved = {**as_json_schema(schema), "components": as_json_schema(SCHEMA["components"])}
        Draft7Validator(resolved).validate(response.json())


def test_the_nulls_the_server_sends_are_documented_as_nullable(client_for, team, member, teammate):
    """The answers that carry null: nothing to suggest today, an acknowledgement as its
    recipient sees it (no client_id, unread), a team as a member sees it (no join code), an
    orphan nobody has claimed."""
    Exercise.objects.update(is_active=False)
    AcknowledgementFactory(sender=teammate, recipient=member)
    OrphanFactory(team=team, posted_by=teammate)
    client = client_for(member)
    today = client.get("/api/v1/today")
    assert today.json()["exercise"] is None
    received = client.get("/api/v1/acknowledgements/received")
    assert received.json()["results"][0]["client_id"] is None
    for response, path in [
        (today, "/api/v1/today"),
        (received, "/api/v1/acknowledgements/received"),
        (client.get("/api/v1/teams"), "/api/v1/teams"),
        (client.get(f"/api/v1/teams/{team.pk}"), "/api/v1/teams/{team_id}"),
        (client.get(f"/api/v1/teams/{team.pk}/orphans"), "/api/v1/teams/{team_id}/orphans"),
    ]:
        assert_as_documented(response, SCHEMA["paths"][path]["get"])


# Conflicts documented as closed sets: what the server answers is one of them


def _claimed_by(person):
    def state(team, member, teammate, lead):
        orphan = OrphanFactory(team=team, posted_by=lead)
        orphan_claim(user=person(member, teammate, lead), orphan_id=orphan.pk)
        return orphan

    return state


def _done_by(person):
    def state(team, member, teammate, lead):
        orphan = _claimed_by(person)(team, member, teammate, lead)
        orphan_done(user=person(member, teammate, lead), orphan_id=orphan.pk)
        return orphan

    return state


def _open(team, member, teammate, lead):
    return OrphanFactory(team=team, posted_by=lead)


CONFLICTS = [
    pytest.param("claim", "member", _claimed_by(lambda m, t, _lead: t), "already_claimed", id="claim a claimed one"),
    pytest.param("claim", "member", _done_by(lambda m, t, _lead: t), "already_done", id="claim a done one"),
    pytest.param("release", "member", _open, "not_claimed", id="release an open one"),
    pytest.param("release", "member", _claimed_by(lambda m, t, _lead: t), "not_your_claim", id="release another's"),
    pytest.param("done", "member", _claimed_by(lambda m, t, _lead: t), "not_your_claim", id="finish another's"),
    pytest.param("release", "member", _done_by(lambda m, t, _lead: m), "already_done", id="release my done one"),
    pytest.param("reopen", "lead", _claimed_by(lambda m, t, _lead: t), "claim_not_stale", id="reopen an active claim"),
    pytest.param("reopen", "lead", _open, "not_claimed", id="reopen an open one"),
]


@pytest.mark.parametrize(("transition", "who", "state", "code"), CONFLICTS)
def test_an_orphans_conflicts_are_among_those_its_schema_lists(
    client_for, team, member, teammate, lead, transition, who, state, code
):
    orphan = state(team, member, teammate, lead)
    caller = {"member": member, "lead": lead}[who]
    response = client_for(caller).post(f"/api/v1/orphans/{orphan.pk}/{transition}", {}, format="json")
    assert (response.status_code, error_codes(response)) == (409, [(None, code)])
    documented = SCHEMA["paths"]["/api/v1/orphans/{orphan_id}/" + transition]["post"]["responses"]["409"]
    assert (
        code
        in documented["content"]["application/json"]["schema"]["properties"]["errors"]["items"]["properties"]["code"][
            "enum"
        ]
    )


def test_a_second_live_session_conflict_is_among_those_its_schema_lists(client_for, team, lead):
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP)
    client = client_for(lead)
    url = f"/api/v1/teams/{team.pk}/sessions"
    assert (
        client.post(url, {"exercise": exercise.slug, "client_id": str(uuid.uuid4())}, format="json").status_code == 201
    )
    response = client.post(url, {"exercise": exercise.slug, "client_id": str(uuid.uuid4())}, format="json")
    assert error_codes(response) == [(None, "session_already_live")]
    documented = SCHEMA["paths"]["/api/v1/teams/{team_id}/sessions"]["post"]["responses"]["409"]
    assert (
        "session_already_live"
        in documented["content"]["application/json"]["schema"]["properties"]["errors"]["items"]["properties"]["code"][
            "enum"
        ]
    )
