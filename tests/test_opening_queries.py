"""What a phone asks for when the app opens costs a few queries, and the same few for someone
with a thousand runs, acknowledgements, reflections and nudges as for a newcomer: today's screen
at most 2 (3 when the process reads the catalogue afresh), each of the others at most 5. The thousand rows are bulk-created,
so this stays quick."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from acknowledgements.factories import AcknowledgementFactory, ReactionFactory
from acknowledgements.models import Acknowledgement, Reaction
from agreements.factories import AgreementFactory, VersionFactory
from agreements.models import Version
from commitments.models import Commitment
from exercises.factories import ExerciseFactory, RunFactory, ThemeFactory
from exercises.models import Run
from exercises.services import practice_rebuild
from nudges.models import Kind, Nudge
from orphans.factories import ActivityFactory, OrphanFactory
from orphans.models import Activity, Orphan
from pairs.factories import PairExerciseFactory
from reflections.factories import ReflectionFactory
from reflections.models import Reflection
from teams.factories import MembershipFactory, TeamFactory
from teams.models import Membership, Team

pytestmark = pytest.mark.django_db

LITTLE, MUCH = 2, 1000
LONG_AGO = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def stays_flat(client, path: str, add, most: int) -> None:
    """As many queries with MUCH rows behind the endpoint as with LITTLE, and no more than `most`
    (once the process holds what it keeps: today's screen keeps the catalogue)."""
    add(LITTLE)
    queries(client, path)
    little = queries(client, path)
    add(MUCH - LITTLE)
    much = queries(client, path)
    assert little == much <= most, (little, much)


def every(n: int, start: datetime = LONG_AGO, step: timedelta = timedelta(hours=7)) -> list[datetime]:
    return [start + step * i for i in range(n)]


def unread_acknowledgements(n: int, *, sender, recipient, **fields) -> list[Acknowledgement]:
    return Acknowledgement.objects.bulk_create(
        AcknowledgementFactory.build(sender=sender, recipient=recipient, created_at=at, **fields) for at in every(n)
    )


def test_today(client_for, member, teammate):
    exercises = [ExerciseFactory(theme=ThemeFactory()) for _ in range(6)]

    def add(n):
        Run.objects.bulk_create(
            RunFactory.build(user=member, exercise=exercises[i % len(exercises)], started_at=at, completed_at=at)
            for i, at in enumerate(every(n))
        )
        practice_rebuild(user=member)
        unread_acknowledgements(n, sender=teammate, recipient=member)

    stays_flat(client_for(member), "/api/v1/today", add, 2)


def test_today_with_a_pair_exercise_picked(client_for, member, team):
    """A pair pick also suggests a partner, which costs the partner suggestion's two queries."""
    pair_exercise = PairExerciseFactory()

    def add(n):
        Run.objects.bulk_create(
            RunFactory.build(user=member, exercise=pair_exercise, started_at=at, completed_at=at) for at in every(n)
        )
        practice_rebuild(user=member)
        MembershipFactory.create_batch(min(n, 30), team=team)

    stays_flat(client_for(member), "/api/v1/today", add, 4)


def test_the_team_feed(client_for, member, teammate, lead, team):
    """One query per kind of item (acknowledgements with their reactions, orphan moments,
    adopted agreements, kept commitments), each carrying the membership check."""
    agreement = AgreementFactory(team=team, created_by=lead)

    def add(n):
        unread_acknowledgements(n, sender=teammate, recipient=member, visibility=Acknowledgement.Visibility.TEAM)
        orphans = Orphan.objects.bulk_create(OrphanFactory.build(team=team, posted_by=member) for _ in range(n))
        Activity.objects.bulk_create(
            ActivityFactory.build(orphan=orphan, actor=member, created_at=at)
            for orphan, at in zip(orphans, every(n), strict=True)
        )
        Version.objects.bulk_create(
            VersionFactory.build(agreement=agreement, proposed_by=lead, status="past", adopted_by=lead, adopted_at=at)
            for at in every(n)
        )
        Commitment.objects.bulk_create(
            Commitment(team=team, volunteer=teammate, text="Tidy the board", status=Commitment.Status.DONE, done_at=at)
            for at in every(n)
        )

    stays_flat(client_for(member), f"/api/v1/teams/{team.pk}/feed", add, 5)


def test_a_team_feed_with_nothing_on_it_yet_asks_once_more_whether_it_is_the_persons(client_for, member, team):
    """Signing in, the four kinds of item, then the membership check that a page with items
    does not need: an empty page must still tell a member's empty feed from a stranger's."""
    assert queries(client_for(member), f"/api/v1/teams/{team.pk}/feed") == 6


def test_acknowledgements_received(client_for, member, teammate):
    def add(n):
        received = unread_acknowledgements(n, sender=teammate, recipient=member)
        Reaction.objects.bulk_create(
            ReactionFactory.build(acknowledgement=acknowledgement, user=member) for acknowledgement in received
        )

    stays_flat(client_for(member), "/api/v1/acknowledgements/received", add, 5)


def test_my_reflections(client_for, member):
    theme = ThemeFactory()

    def add(n):
        written = Reflection.objects.bulk_create(
            ReflectionFactory.build(author=member, created_at=at, updated_at=at) for at in every(n)
        )
        Reflection.themes.through.objects.bulk_create(
            Reflection.themes.through(reflection=reflection, theme=theme) for reflection in written
        )

    stays_flat(client_for(member), "/api/v1/reflections", add, 5)


def test_my_nudges(client_for, member):
    def add(n):
        Nudge.objects.bulk_create(
            Nudge(
                user=member,
                kind=Kind.DAILY_EXERCISE,
                dedupe_key=f"opening:{uuid.uuid4()}",
                due_at=at,
                status=Nudge.Status.SENT,
                sent_at=at,
                title="Today's exercise",
                body="Five minutes, whenever suits you.",
            )
            for at in every(n)
        )

    stays_flat(client_for(member), "/api/v1/nudges", add, 5)


def test_my_teams(client_for, member, organisation):
    def add(n):
        teams = Team.objects.bulk_create(TeamFactory.build(organisation=organisation) for _ in range(n))
        Membership.objects.bulk_create(MembershipFactory.build(team=team, user=member) for team in teams)

    stays_flat(client_for(member), "/api/v1/teams", add, 5)
