"""Each endpoint costs a fixed number of queries, whatever the amount of data behind it."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.factories import OrganisationDomainFactory
from acknowledgements.factories import AcknowledgementFactory, ReactionFactory
from acknowledgements.models import Acknowledgement
from administration.factories import OrganisationAdminFactory
from administration.services import audit_record
from agreements.factories import AgreementFactory, CommentFactory, VersionFactory
from agreements.services import agreement_adopt
from commitments.services import commitment_done, commitment_make
from exercises.factories import ExerciseFactory, RunFactory, StepFactory, ThemeFactory
from exercises.models import Exercise, Step
from group_sessions.models import Connection, GroupSession, Share
from group_sessions.services import session_start
from insights.services import insights_roll_up
from orphans.services import orphan_claim, orphan_post
from pairs.factories import PairExerciseFactory, PairFactory
from pairs.models import Pair, PairAnswer
from reflections.factories import ReflectionFactory
from teams.factories import CoachAssignmentFactory, MembershipFactory, TeamFactory
from teams.models import Membership
from tests.test_session_history import held
from tests.test_team_health import AFTER, MONDAY, answer, at, check_in

pytestmark = pytest.mark.django_db

FEW, MANY = 2, 20  # MANY still fits one page, so every row is serialised


def queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def add_acknowledgements(*, n, sender, recipient, visibility=Acknowledgement.Visibility.TEAM):
    for _ in range(n):
        acknowledgement = AcknowledgementFactory(sender=sender, recipient=recipient, visibility=visibility)
        ReactionFactory(acknowledgement=acknowledgement, user=recipient)
        ReactionFactory(acknowledgement=acknowledgement, user=sender)


def grows_flat(client, path, add_rows, expected: int) -> None:
    add_rows(FEW)
    few = queries(client, path)
    add_rows(MANY - FEW)
    many = queries(client, path)
    assert (few, many) == (expected, expected)


def test_profile(client_for, member, organisation):
    grows_flat(
        client_for(member),
        "/api/v1/me",
        lambda n: [MembershipFactory(user=member, team=TeamFactory(organisation=organisation)) for _ in range(n)],
        4,
    )


def test_my_teams(client_for, member, organisation):
    grows_flat(
        client_for(member),
        "/api/v1/teams",
        lambda n: [MembershipFactory(user=member, team=TeamFactory(organisation=organisation)) for _ in range(n)],
        2,
    )


def test_a_team_with_its_members(client_for, member, team):
    grows_flat(
        client_for(member), f"/api/v1/teams/{team.pk}", lambda n: MembershipFactory.create_batch(n, team=team), 3
    )


def test_the_team_feed(client_for, member, teammate, lead, team):
    agreement = AgreementFactory(team=team)

    def add(n):
        add_acknowledgements(n=n, sender=teammate, recipient=member)
        for _ in range(n):
            orphan, _ = orphan_post(user=member, team_id=team.pk, title="Flaky deploy", client_id=uuid.uuid4())
            orphan_claim(user=teammate, orphan_id=orphan.pk)
            version = VersionFactory(agreement=agreement, proposed_by=teammate)
            agreement_adopt(user=lead, agreement_id=agreement.pk, number=version.number)
            commitment, _ = commitment_make(
                user=teammate, team_id=team.pk, text="Tidy the board", client_id=uuid.uuid4()
            )
            commitment_done(user=teammate, commitment_id=commitment.pk)

    grows_flat(client_for(member), f"/api/v1/teams/{team.pk}/feed", add, 5)


def test_a_teams_commitments(client_for, member, teammate, team):
    def add(n):
        for _ in range(n):
            commitment_make(user=teammate, team_id=team.pk, text="Tidy the board", client_id=uuid.uuid4())

    grows_flat(client_for(member), f"/api/v1/teams/{team.pk}/commitments", add, 3)


def test_a_teams_agreements(client_for, member, team):
    agreements = [AgreementFactory(team=team, kind=kind) for kind in ("contribution", "purpose", "working_norm")]

    def add(n):
        for agreement in agreements:
            for _ in range(n):
                VersionFactory(agreement=agreement, status="past")

    grows_flat(client_for(member), f"/api/v1/teams/{team.pk}/agreements", add, 4)


def test_an_agreement_with_its_versions_and_comments(client_for, member, colleague, team):
    agreement = AgreementFactory(team=team)

    def add(n):
        VersionFactory.create_batch(n, agreement=agreement, proposed_by=member)
        CommentFactory.create_batch(n, agreement=agreement, author=colleague)

    grows_flat(client_for(member), f"/api/v1/agreements/{agreement.pk}", add, 5)


def test_a_teams_orphans(client_for, member, teammate, team):
    def add(n):
        for _ in range(n):
            orphan, _ = orphan_post(user=member, team_id=team.pk, title="Nobody owns this", client_id=uuid.uuid4())
            orphan_claim(user=teammate, orphan_id=orphan.pk)

    grows_flat(client_for(member), f"/api/v1/teams/{team.pk}/orphans", add, 3)


def test_a_teams_orphan_figures(client_for, member, team):
    def add(n):
        for _ in range(n):
            orphan_post(user=member, team_id=team.pk, title="Nobody owns this", client_id=uuid.uuid4())

    grows_flat(client_for(member), f"/api/v1/teams/{team.pk}/orphans/stats", add, 3)


def test_acknowledgements_received(client_for, member, teammate):
    grows_flat(
        client_for(member),
        "/api/v1/acknowledgements/received",
        lambda n: add_acknowledgements(n=n, sender=teammate, recipient=member),
        2,
    )


def test_acknowledgements_sent(client_for, member, teammate):
    grows_flat(
        client_for(member),
        "/api/v1/acknowledgements/sent",
        lambda n: add_acknowledgements(n=n, sender=member, recipient=teammate),
        2,
    )


def test_themes(client_for, member):
    grows_flat(client_for(member), "/api/v1/themes", lambda n: ThemeFactory.create_batch(n), 3)


def test_exercises(client_for, member):
    grows_flat(client_for(member), "/api/v1/exercises", lambda n: ExerciseFactory.create_batch(n), 4)


def test_runs(client_for, member):
    grows_flat(client_for(member), "/api/v1/runs", lambda n: RunFactory.create_batch(n, user=member), 2)


def test_reflections(client_for, member):
    theme = ThemeFactory()

    def add(n):
        for reflection in ReflectionFactory.create_batch(n, author=member):
            reflection.themes.add(theme)

    grows_flat(client_for(member), "/api/v1/reflections", add, 3)


def test_today(client_for, member):
    def add(n):
        for _ in range(n):
            RunFactory(user=member, exercise=ExerciseFactory(mode=Exercise.Mode.SOLO), completed_at="2026-01-05T10:00Z")
        AcknowledgementFactory.create_batch(n, recipient=member, sender__organisation=member.organisation)

    grows_flat(client_for(member), "/api/v1/today", add, 3)


def test_a_group_session_snapshot(client_for, lead, team):
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP, steps=[])
    StepFactory(exercise=exercise, position=1, kind=Step.Kind.SHARE)
    StepFactory(exercise=exercise, position=2, kind=Step.Kind.REFLECT)
    session, _ = session_start(lead=lead, team_id=team.pk, exercise_slug=exercise.slug, client_id=uuid.uuid4())

    def add(n):
        for membership in MembershipFactory.create_batch(n, team=team):
            Connection.objects.create(session=session, user=membership.user, channel_name=uuid.uuid4().hex)
            Share.objects.create(session=session, step=1, author=membership.user, text="hello")

    grows_flat(client_for(lead), f"/api/v1/sessions/{session.pk}", add, 6)


def test_a_teams_health_for_its_lead(client_for, lead, team):
    """More members, questions, other teams and rolled-up weeks cost no more queries."""
    weeks = iter([MONDAY, MONDAY + timedelta(weeks=1)])

    def add(n):
        monday = next(weeks)
        people = MembershipFactory.create_batch(n, team=team)
        for _ in range(n):
            question = f"question-{uuid.uuid4().hex[:8]}"
            answer(
                team,
                [membership.user for membership in people],
                [4] * n,
                exercise=check_in(question=question, name=question),
                when=datetime.combine(monday, time(12), tzinfo=UTC),
            )
        TeamFactory.create_batch(n, organisation=team.organisation)
        with at(AFTER):
            insights_roll_up(week_start=monday)

    with at(AFTER):
        grows_flat(client_for(lead), f"/api/v1/teams/{team.pk}/health?from=2026-W01&to=2026-W12", add, 4)


def test_my_pairs(client_for, member, teammate):
    grows_flat(client_for(member), "/api/v1/pairs", lambda n: PairFactory.create_batch(n, inviter=member), 2)


def test_a_pair_with_its_answers(client_for, member, teammate):
    pair = PairFactory(
        inviter=member, partner=teammate, status=Pair.Status.ACCEPTED, exercise=PairExerciseFactory(steps=[])
    )
    positions = iter(range(1, MANY + 1))

    def add(n):
        for _ in range(n):
            step = StepFactory(exercise=pair.exercise, position=next(positions), kind=Step.Kind.SHARE)
            for person in (member, teammate):
                PairAnswer.objects.create(pair=pair, step=step.position, author=person, text="hello")

    grows_flat(client_for(member), f"/api/v1/pairs/{pair.pk}", add, 5)


def test_today_with_a_partner_to_suggest(client_for, member, team):
    PairExerciseFactory()

    def add(n):
        for membership in MembershipFactory.create_batch(n, team=team):
            PairFactory(inviter=member, partner=membership.user, status=Pair.Status.COMPLETED)

    grows_flat(client_for(member), "/api/v1/today", add, 5)


def test_a_teams_past_sessions_with_their_rounds(client_for, lead, member, teammate, team):
    grows_flat(
        client_for(member),
        f"/api/v1/teams/{team.pk}/sessions",
        lambda n: [held(team, lead, took_part=[member, teammate]) for _ in range(n)],
        10,  # one query per kind of outcome: answers, agreements, commitments, orphans
    )


def test_a_teams_upcoming_sessions(client_for, lead, member, team):
    def add(n):
        for _ in range(n):
            session_start(
                lead=lead,
                team_id=team.pk,
                exercise_slug=ExerciseFactory(mode=Exercise.Mode.GROUP).slug,
                client_id=uuid.uuid4(),
                starts_at=datetime.now(UTC) + timedelta(days=1),
            )

    grows_flat(client_for(member), f"/api/v1/teams/{team.pk}/sessions?when=upcoming", add, 8)


def test_a_teams_facilitator_rota(client_for, lead, member, team):
    team.members_facilitate = True
    team.save()

    def add(n):
        for membership in MembershipFactory.create_batch(n, team=team):
            session = GroupSession.objects.create(
                team=team,
                exercise=ExerciseFactory(mode=Exercise.Mode.GROUP),
                phase="ended",
                facilitator=membership.user,
            )
            Connection.objects.create(session=session, user=membership.user, channel_name=f"rota.{session.pk}")

    grows_flat(client_for(member), f"/api/v1/teams/{team.pk}/rota", add, 3)


# The organisation admins' lists: the same few queries however big the organisation.


@pytest.fixture
def organisation_admin(organisation):
    return OrganisationAdminFactory(user__organisation=organisation).user


def test_an_organisations_settings(client_for, organisation_admin, organisation):
    grows_flat(
        client_for(organisation_admin),
        f"/api/v1/organisations/{organisation.pk}",
        lambda n: (
            [OrganisationDomainFactory(organisation=organisation) for _ in range(n)] + ThemeFactory.create_batch(n)
        ),
        6,
    )


def test_an_organisations_teams(client_for, organisation_admin, organisation):
    def add(n):
        for team in TeamFactory.create_batch(n, organisation=organisation):
            MembershipFactory(team=team, role=Membership.Role.LEAD)
            MembershipFactory(team=team)

    grows_flat(client_for(organisation_admin), f"/api/v1/organisations/{organisation.pk}/teams", add, 5)


def test_a_teams_members_for_its_organisations_admin(client_for, organisation_admin, organisation, team):
    grows_flat(
        client_for(organisation_admin),
        f"/api/v1/organisations/{organisation.pk}/teams/{team.pk}/members",
        lambda n: MembershipFactory.create_batch(n, team=team),
        5,
    )


def test_an_organisations_coaches(client_for, organisation_admin, organisation):
    grows_flat(
        client_for(organisation_admin),
        f"/api/v1/organisations/{organisation.pk}/coaches",
        lambda n: CoachAssignmentFactory.create_batch(n, organisation=organisation),
        4,
    )


def test_an_organisations_audit_log(client_for, organisation_admin, organisation):
    grows_flat(
        client_for(organisation_admin),
        f"/api/v1/organisations/{organisation.pk}/audit",
        lambda n: [
            audit_record(organisation_id=organisation.pk, actor=organisation_admin, action="team.created", subject="T")
            for _ in range(n)
        ],
        4,
    )
