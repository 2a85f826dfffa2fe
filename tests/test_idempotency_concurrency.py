"""Every POST a phone may retry is safe under two identical requests at the same moment.

A phone that loses its connection sends the same request again, and the first may still be in
flight: the two can reach two server processes together. Each test fires two identical requests
from two threads released by one barrier, each thread with its own client and its own database
connection, and checks that both answer 2xx (201 and 200 where the endpoint tells a creation
from a repeat; never a 500 or a 409 for an identical retry), that exactly one row was made, and
that both answers name the same thing. It runs on whatever database is configured (SQLite by
default, PostgreSQL with DATABASE_URL), a few rounds each, because a race may need more than one
try to show.
"""

import threading
import uuid

import pytest
from django.db import close_old_connections, connections

from accounts.factories import UserFactory
from acknowledgements.factories import AcknowledgementFactory
from acknowledgements.models import Acknowledgement, Reaction
from events.models import Event
from exercises.factories import ExerciseFactory
from exercises.models import Exercise, Run
from group_sessions.models import GroupSession
from nudges.models import Device, Kind, Nudge
from orphans.factories import OrphanFactory
from orphans.models import Activity, Orphan
from reflections.models import Reflection
from teams.factories import MembershipFactory, TeamFactory
from teams.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3
CREATED_AND_REPEATED = [200, 201]
BOTH_FINE = [200, 200]


def at_the_same_moment(clients, path: str, payload: dict | None = None) -> list:
    """POST the same request through each client, each from its own thread, all released at
    once; returns the responses (or whatever a thread raised instead)."""
    barrier = threading.Barrier(len(clients))
    outcomes: list = [None] * len(clients)

    def send(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = clients[index].post(path, payload, format="json")
        except Exception as error:  # noqa: BLE001 - the test reports whatever happened
            outcomes[index] = error
        finally:
            close_old_connections()
            connections.close_all()  # this thread's connections, so none outlives the test

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    return outcomes


def statuses(outcomes) -> list:
    """Sorted status codes; a thread that raised shows as its exception, so a failure says why."""
    shown = []
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            shown.append(f"raised {outcome!r}")
        elif outcome.status_code >= 300:
            shown.append(f"{outcome.status_code} {outcome.content.decode()[:300]}")
        else:
            shown.append(outcome.status_code)
    return sorted(shown, key=str)


def twice(client_for, user, path: str, payload: dict | None = None, *, expected=CREATED_AND_REPEATED) -> list[dict]:
    """Two identical requests at once from the same person; both must succeed as expected."""
    outcomes = at_the_same_moment([client_for(user), client_for(user)], path, payload)
    assert statuses(outcomes) == expected, statuses(outcomes)
    return [outcome.json() for outcome in outcomes]


def same(values: list):
    assert len(set(values)) == 1, values
    return values[0]


# Creations keyed by a client_id


def test_two_identical_reflections_at_once_make_one(client_for, member):
    for round_ in range(1, ROUNDS + 1):
        client_id = str(uuid.uuid4())
        bodies = twice(
            client_for, member, "/api/v1/reflections", {"body": "Felt heard today.", "mood": 4, "client_id": client_id}
        )

        reflection_id = same([body["id"] for body in bodies])
        assert same([body["client_id"] for body in bodies]) == client_id
        assert list(Reflection.objects.filter(author=member, client_id=client_id).values_list("pk", flat=True)) == [
            reflection_id
        ]
        assert Reflection.objects.filter(author=member).count() == round_


def test_two_identical_runs_at_once_make_one(client_for, member):
    exercise = ExerciseFactory()
    for round_ in range(1, ROUNDS + 1):
        client_id = str(uuid.uuid4())
        bodies = twice(client_for, member, "/api/v1/runs", {"exercise": exercise.slug, "client_id": client_id})

        run_id = same([body["id"] for body in bodies])
        assert list(Run.objects.filter(user=member, client_id=client_id).values_list("pk", flat=True)) == [run_id]
        assert Run.objects.filter(user=member).count() == round_


def test_two_identical_acknowledgements_at_once_make_one(client_for, member, teammate):
    for round_ in range(1, ROUNDS + 1):
        client_id = str(uuid.uuid4())
        payload = {"recipient": teammate.pk, "message": "You saw me", "behaviour": "saw_me", "client_id": client_id}
        bodies = twice(client_for, member, "/api/v1/acknowledgements", payload)

        acknowledgement_id = same([body["id"] for body in bodies])
        assert list(
            Acknowledgement.objects.filter(sender=member, client_id=client_id).values_list("pk", flat=True)
        ) == [acknowledgement_id]
        assert Acknowledgement.objects.filter(sender=member).count() == round_
        # The recipient hears about it once.
        told = Event.objects.filter(
            user=teammate, type="acknowledgement.received", data__acknowledgement_id=acknowledgement_id
        )
        assert told.count() == 1


def test_two_identical_orphan_posts_at_once_make_one(client_for, team, member):
    for round_ in range(1, ROUNDS + 1):
        client_id = str(uuid.uuid4())
        bodies = twice(
            client_for,
            member,
            f"/api/v1/teams/{team.pk}/orphans",
            {"title": "The build is red", "client_id": client_id},
        )

        orphan_id = same([body["id"] for body in bodies])
        assert list(Orphan.objects.filter(posted_by=member, client_id=client_id).values_list("pk", flat=True)) == [
            orphan_id
        ]
        assert Orphan.objects.filter(team=team).count() == round_
        assert Activity.objects.filter(orphan_id=orphan_id, kind=Activity.Kind.POSTED).count() == 1


def test_two_identical_session_starts_at_once_make_one(client_for, organisation):
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP)
    for _ in range(ROUNDS):
        team = TeamFactory(organisation=organisation)  # one live session per team: a new team each round
        lead = MembershipFactory(team=team, role=Membership.Role.LEAD).user
        members = [MembershipFactory(team=team).user for _ in range(2)]
        client_id = str(uuid.uuid4())
        bodies = twice(
            client_for, lead, f"/api/v1/teams/{team.pk}/sessions", {"exercise": exercise.slug, "client_id": client_id}
        )

        session_id = same([body["id"] for body in bodies])
        assert list(GroupSession.objects.filter(team=team).values_list("pk", flat=True)) == [session_id]
        # Each member is told once.
        for person in members:
            assert Event.objects.filter(user=person, type="session.started").count() == 1
            assert Nudge.objects.filter(user=person, kind=Kind.SESSION_STARTED).count() == 1


# Other retryable POSTs


def test_registering_the_same_device_twice_at_once_keeps_one(client_for, member):
    for round_ in range(1, ROUNDS + 1):
        token = f"fcm-token-{uuid.uuid4()}"
        bodies = twice(client_for, member, "/api/v1/devices", {"token": token, "platform": "android"})

        assert same([body["token"] for body in bodies]) == token
        assert Device.objects.filter(token=token).count() == 1
        assert Device.objects.filter(user=member, active=True).count() == round_


def test_claiming_the_same_orphan_twice_at_once_claims_it_once(client_for, team, member, teammate):
    for _ in range(ROUNDS):
        orphan = OrphanFactory(team=team, posted_by=member)
        bodies = twice(client_for, teammate, f"/api/v1/orphans/{orphan.pk}/claim", expected=BOTH_FINE)

        assert same([body["id"] for body in bodies]) == orphan.pk
        assert same([body["claimed_by"]["id"] for body in bodies]) == teammate.pk
        orphan.refresh_from_db()
        assert (orphan.status, orphan.claimed_by_id) == (Orphan.Status.CLAIMED, teammate.pk)
        assert Activity.objects.filter(orphan=orphan, kind=Activity.Kind.CLAIMED).count() == 1
        # The poster is told once, and the claimant reminded once.
        assert Event.objects.filter(user=member, type="orphan.claimed", data__orphan_id=orphan.pk).count() == 1
        assert Nudge.objects.filter(kind=Kind.ORPHAN_CLAIMED, context__orphan_id=orphan.pk).count() == 1
        assert Nudge.objects.filter(kind=Kind.ORPHAN_REMINDER, context__orphan_id=orphan.pk).count() == 1


def test_the_same_reaction_twice_at_once_counts_once(client_for, member, teammate):
    for _ in range(ROUNDS):
        acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility="team")
        bodies = twice(
            client_for, teammate, f"/api/v1/acknowledgements/{acknowledgement.pk}/reactions/heart", expected=BOTH_FINE
        )

        assert same([body["id"] for body in bodies]) == acknowledgement.pk
        assert [body["reactions"]["heart"] for body in bodies] == [1, 1]
        assert [body["my_reactions"] for body in bodies] == [["heart"], ["heart"]]
        assert Reaction.objects.filter(acknowledgement=acknowledgement, user=teammate, kind="heart").count() == 1
        told = Event.objects.filter(
            user=member, type="acknowledgement.reaction", data__acknowledgement_id=acknowledgement.pk
        )
        assert told.count() == 1


@pytest.mark.parametrize("newcomer", ["new to the organisation", "already in the organisation"])
def test_joining_the_same_team_twice_at_once_joins_once(client_for, organisation, newcomer):
    for _ in range(ROUNDS):
        team = TeamFactory(organisation=organisation)
        person = UserFactory(organisation=None if newcomer == "new to the organisation" else organisation)
        bodies = twice(client_for, person, "/api/v1/teams/join", {"code": team.join_code}, expected=BOTH_FINE)

        assert same([body["id"] for body in bodies]) == team.pk
        assert Membership.objects.filter(team=team, user=person).count() == 1
        person.refresh_from_db()
        assert person.organisation_id == organisation.pk
