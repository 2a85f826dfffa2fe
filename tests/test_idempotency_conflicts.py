"""A client_id names one request. Sent again with the same body it is a retry: the first object
comes back (200) and nothing is written. Sent with a different body it is a client's mistake:
409 `idempotency_conflict`, naming the first object, and still nothing is written."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from acknowledgements.models import Acknowledgement
from events.models import Event
from exercises.factories import ExerciseFactory, group_exercise
from exercises.models import Exercise, Run, Step
from group_sessions.models import GroupSession
from nudges.models import Nudge
from orphans.models import Activity, Orphan
from reflections.models import Reflection
from teams.factories import MembershipFactory
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db


def written() -> tuple:
    """Every row a creation could add."""
    return tuple(
        model.objects.count()
        for model in (Reflection, Run, Acknowledgement, Orphan, Activity, GroupSession, Event, Nudge)
    )


def share_exercise() -> Exercise:
    return group_exercise(Step.Kind.SHARE)


@dataclass
class Creation:
    """One creation endpoint: who posts where, a first body, and bodies that differ from it."""

    who: str
    url: Callable[[dict], str]
    body: Callable[[dict], dict]
    changes: dict[str, Callable[[dict], dict]]


CREATIONS = {
    "reflection": Creation(
        who="member",
        url=lambda w: "/api/v1/reflections",
        body=lambda w: {"body": "I spoke up today.", "mood": 3, "themes": [w["theme"].slug]},
        changes={
            "body": lambda w: {"body": "I stayed quiet today."},
            "mood": lambda w: {"mood": 4},
            "themes": lambda w: {"themes": []},
        },
    ),
    "run": Creation(
        who="member",
        url=lambda w: "/api/v1/runs",
        body=lambda w: {"exercise": w["solo"].slug},
        changes={"exercise": lambda w: {"exercise": w["other_solo"].slug}},
    ),
    "acknowledgement": Creation(
        who="member",
        url=lambda w: "/api/v1/acknowledgements",
        body=lambda w: {
            "recipient": w["teammate"].pk,
            "message": "Thanks for picking up the release",
            "behaviour": "helped",
            "visibility": "team",
        },
        changes={
            "message": lambda w: {"message": "Thanks for the review"},
            "recipient": lambda w: {"recipient": w["lead"].pk},
            "behaviour": lambda w: {"behaviour": "jumped_in"},
            "visibility": lambda w: {"visibility": "private"},
        },
    ),
    "orphan": Creation(
        who="member",
        url=lambda w: f"/api/v1/teams/{w['team'].pk}/orphans",
        body=lambda w: {"title": "The build breaks on Mondays", "detail": ""},
        changes={
            "title": lambda w: {"title": "The wiki is out of date"},
            "detail": lambda w: {"detail": "Since the migration"},
        },
    ),
    "session": Creation(
        who="lead",
        url=lambda w: f"/api/v1/teams/{w['team'].pk}/sessions",
        body=lambda w: {"exercise": w["group"].slug},
        changes={"exercise": lambda w: {"exercise": w["other_group"].slug}},
    ),
}

CASES = [
    pytest.param(name, change, id=f"{name}: another {change}")
    for name, creation in CREATIONS.items()
    for change in creation.changes
]


@pytest.fixture
def world(team, member, teammate, lead) -> dict:
    return {
        "team": team,
        "member": member,
        "teammate": teammate,
        "lead": lead,
        "theme": ExerciseFactory().theme,
        "solo": ExerciseFactory(mode=Exercise.Mode.SOLO),
        "other_solo": ExerciseFactory(mode=Exercise.Mode.SOLO),
        "group": share_exercise(),
        "other_group": share_exercise(),
    }


def first_request(client_for, world, name: str):
    creation = CREATIONS[name]
    client = client_for(world[creation.who])
    body = {**creation.body(world), "client_id": str(uuid.uuid4())}
    first = client.post(creation.url(world), body, format="json")
    assert first.status_code == 201, first.content
    return client, creation, body, first.json()


@pytest.mark.parametrize("name", CREATIONS)
def test_a_retry_with_the_same_body_returns_the_first_object_and_writes_nothing(client_for, world, name):
    client, creation, body, first = first_request(client_for, world, name)
    before = written()

    retry = client.post(creation.url(world), body, format="json")

    assert retry.status_code == 200
    assert retry.json()["id"] == first["id"]
    assert written() == before


@pytest.mark.parametrize(("name", "change"), CASES)
def test_the_same_client_id_with_another_body_is_a_conflict_naming_the_first_and_writes_nothing(
    client_for, world, name, change
):
    client, creation, body, first = first_request(client_for, world, name)
    before = written()

    response = client.post(creation.url(world), {**body, **creation.changes[change](world)}, format="json")

    assert response.status_code == 409
    assert error_codes(response) == [(None, "idempotency_conflict")]
    detail = response.json()["errors"][0]["detail"]
    assert f" {first['id']}," in detail and change in detail
    assert written() == before


def test_a_message_sent_again_with_other_surrounding_spaces_is_the_same_acknowledgement(client_for, world):
    """What is compared is what would be stored, after the service's own normalisation."""
    client, creation, body, first = first_request(client_for, world, "acknowledgement")
    retry = client.post(creation.url(world), {**body, "message": f"  {body['message']}\n"}, format="json")
    assert (retry.status_code, retry.json()["id"]) == (200, first["id"])


def test_someone_else_using_the_same_client_id_is_no_conflict(client_for, world, team):
    """client_ids are per person: two phones may happen to generate the same one."""
    client, creation, body, first = first_request(client_for, world, "reflection")
    other = MembershipFactory(team=team).user
    response = client_for(other).post(creation.url(world), {**body, "body": "Mine"}, format="json")
    assert response.status_code == 201
    assert response.json()["id"] != first["id"]
