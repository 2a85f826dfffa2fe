"""The nudges around what teams make: the volunteer on the day they said they would check back
(commitments and claimed orphans), the team on an agreement's review date, and the lead at the
moments that decide whether the next initiative happens (a claim handed back, a team gone quiet,
an orphan nobody takes on). Planned and delivered with the clock under the test's control."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from agreements.factories import AgreementFactory
from agreements.models import Agreement
from commitments.models import Commitment
from commitments.services import commitment_done
from exercises.content import read_pack
from exercises.factories import ExerciseFactory
from group_sessions.factories import GroupSessionFactory
from nudges.clock import nudges_plan
from nudges.delivery import nudges_deliver
from nudges.models import Kind, Nudge, Preferences
from orphans.factories import OrphanFactory
from orphans.models import Orphan
from orphans.services import orphan_claim, orphan_post, orphan_release, orphan_reopen
from teams.factories import MembershipFactory, TeamFactory
from teams.models import Membership

pytestmark = pytest.mark.django_db

PENDING, SENT, SKIPPED = Nudge.Status.PENDING, Nudge.Status.SENT, Nudge.Status.SKIPPED
WEDNESDAY_NOON = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
THURSDAY = date(2026, 6, 11)
THURSDAY_TEN = datetime(2026, 6, 11, 10, 0, tzinfo=UTC)


def at(moment, action, **arguments):
    """Do this at that moment; the clock's own jobs are told the moment too."""
    if action in (nudges_plan, nudges_deliver):
        arguments["now"] = moment
    with time_machine.travel(moment, tick=False):
        return action(**arguments)


def plan_and_deliver(*, plan_at=WEDNESDAY_NOON, deliver_at=THURSDAY_TEN) -> None:
    at(plan_at, nudges_plan)
    at(deliver_at, nudges_deliver)


@pytest.fixture
def crew():
    """A team (in UTC) with its lead and two members, formed long ago."""
    team = TeamFactory(created_at=datetime(2025, 1, 1, tzinfo=UTC))
    people = {
        role: MembershipFactory(team=team, role=membership_role, user__time_zone="UTC").user
        for role, membership_role in (
            ("lead", Membership.Role.LEAD),
            ("member", Membership.Role.MEMBER),
            ("teammate", Membership.Role.MEMBER),
        )
    }
    return team, people


def of_kind(kind, user=None):
    nudges = Nudge.objects.filter(kind=kind)
    return nudges.filter(user=user) if user else nudges


# The day to check back


def test_the_volunteer_is_nudged_on_the_day_they_said_they_would_check_back(crew):
    team, people = crew
    Commitment.objects.create(team=team, volunteer=people["member"], text="Chase the vendor", check_back_on=THURSDAY)
    plan_and_deliver()
    nudge = of_kind(Kind.COMMITMENT_CHECK_BACK).get()
    assert (nudge.user, nudge.planned_for, nudge.status) == (people["member"], THURSDAY, SENT)
    assert "Chase the vendor" in nudge.body


def test_a_commitment_kept_before_its_day_is_not_nudged_about(crew):
    team, people = crew
    commitment = Commitment.objects.create(
        team=team, volunteer=people["member"], text="Chase the vendor", check_back_on=THURSDAY
    )
    at(WEDNESDAY_NOON, nudges_plan)
    at(WEDNESDAY_NOON, commitment_done, user=people["member"], commitment_id=commitment.pk)
    at(THURSDAY_TEN, nudges_deliver)
    assert of_kind(Kind.COMMITMENT_CHECK_BACK).get().status == SKIPPED


def test_an_orphan_claimed_with_a_date_to_check_back_is_nudged_about_too(crew):
    team, people = crew
    orphan = OrphanFactory(team=team, posted_by=people["member"], title="The flaky build")
    at(WEDNESDAY_NOON, orphan_claim, user=people["teammate"], orphan_id=orphan.pk, check_back_on=THURSDAY)
    plan_and_deliver()
    nudge = of_kind(Kind.COMMITMENT_CHECK_BACK).get()
    assert nudge.user == people["teammate"] and "The flaky build" in nudge.body


def test_nobody_without_anything_to_check_back_on_is_planned_for(crew):
    team, people = crew
    Commitment.objects.create(team=team, volunteer=people["member"], text="Someday", check_back_on=None)
    plan_and_deliver()
    assert not of_kind(Kind.COMMITMENT_CHECK_BACK).exists()


def test_turning_check_backs_off_means_none_is_planned(crew):
    team, people = crew
    Preferences.objects.create(user=people["member"], commitment_check_back=False)
    Commitment.objects.create(team=team, volunteer=people["member"], text="Chase the vendor", check_back_on=THURSDAY)
    plan_and_deliver()
    assert not of_kind(Kind.COMMITMENT_CHECK_BACK).exists()


# An agreement's review date


def test_the_whole_team_is_invited_to_review_an_agreement_on_its_date(crew):
    team, people = crew
    AgreementFactory(team=team, review_on=THURSDAY)
    elsewhere = MembershipFactory(user__time_zone="UTC").user
    plan_and_deliver()
    reviewed = of_kind(Kind.AGREEMENT_REVIEW)
    assert set(reviewed.filter(status=SENT).values_list("user", flat=True)) == {p.pk for p in people.values()}
    assert not reviewed.filter(user=elsewhere).exists()


def test_on_the_review_date_the_lead_is_offered_the_exercise_to_look_at_it_again_with(crew):
    team, people = crew
    ExerciseFactory(slug="why-we-are-here", title="Why we are here, in one line")
    AgreementFactory(team=team, kind="purpose", review_on=THURSDAY)
    plan_and_deliver()
    bodies = dict(of_kind(Kind.AGREEMENT_REVIEW).values_list("user", "body"))
    assert 'run "Why we are here, in one line"' in bodies[people["lead"].pk]
    assert "Why we are here" not in bodies[people["member"].pk]


def test_a_french_lead_is_offered_the_review_exercise_by_its_french_title(crew):
    team, people = crew
    people["lead"].locale = "fr"
    people["lead"].save(update_fields=["locale"])
    ExerciseFactory(
        slug="draft-our-contribution",
        title="Draft what we contribute",
        translations={"fr": {"title": "Rédiger notre contribution"}},
    )
    AgreementFactory(team=team, kind="contribution", review_on=THURSDAY)
    plan_and_deliver()
    body = of_kind(Kind.AGREEMENT_REVIEW, people["lead"]).get().body
    assert "Rédiger notre contribution" in body and "Draft what we contribute" not in body


def test_every_kind_of_agreement_is_reviewed_with_a_group_exercise_of_the_content_pack():
    group_exercises = {exercise.slug for exercise in read_pack().exercises if exercise.mode == "group"}
    for kind in Agreement.Kind:
        assert AgreementFactory.build(kind=kind).review_exercise in group_exercises, kind


# The lead's moments


def test_a_claim_handed_back_nudges_the_lead_with_the_exercise_on_reacting_well(crew):
    team, people = crew
    ExerciseFactory(slug="rehearse-your-reaction", title="Rehearse your reaction")
    orphan = OrphanFactory(team=team, posted_by=people["member"], title="The flaky build")
    # At noon: delivered at once, whatever the hour the suite runs at (quiet hours would defer it).
    at(WEDNESDAY_NOON, orphan_claim, user=people["teammate"], orphan_id=orphan.pk)
    at(WEDNESDAY_NOON, orphan_release, user=people["teammate"], orphan_id=orphan.pk)
    nudge = of_kind(Kind.CLAIM_HANDED_BACK).get()
    assert nudge.user == people["lead"]
    at(WEDNESDAY_NOON + timedelta(seconds=1), nudges_deliver)
    nudge.refresh_from_db()
    assert nudge.status == SENT and "Rehearse your reaction" in nudge.body and "The flaky build" in nudge.body


def test_a_reopened_claim_nudges_the_lead_too(crew):
    team, people = crew
    orphan = OrphanFactory(team=team, posted_by=people["member"])
    orphan_claim(user=people["teammate"], orphan_id=orphan.pk)
    Orphan.objects.filter(pk=orphan.pk).update(last_activity_at=datetime(2025, 1, 1, tzinfo=UTC))
    orphan_reopen(user=people["lead"], orphan_id=orphan.pk)
    assert of_kind(Kind.CLAIM_HANDED_BACK, people["lead"]).count() == 1


def test_a_team_quiet_for_three_weeks_nudges_its_lead_on_monday(crew):
    team, people = crew
    GroupSessionFactory(team=team, started_by=people["lead"], created_at=datetime(2026, 5, 1, tzinfo=UTC))
    sunday_noon, monday_ten = datetime(2026, 6, 14, 12, 0, tzinfo=UTC), datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
    plan_and_deliver(plan_at=sunday_noon, deliver_at=monday_ten)
    nudge = of_kind(Kind.TEAM_QUIET).get()
    assert (nudge.user, nudge.status) == (people["lead"], SENT) and team.name in nudge.body


def test_a_team_that_met_lately_is_not_called_quiet(crew):
    team, people = crew
    GroupSessionFactory(team=team, started_by=people["lead"], created_at=datetime(2026, 6, 8, tzinfo=UTC))
    plan_and_deliver(
        plan_at=datetime(2026, 6, 14, 12, 0, tzinfo=UTC), deliver_at=datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
    )
    assert not of_kind(Kind.TEAM_QUIET).exists()


def test_a_session_only_scheduled_does_not_make_a_team_less_quiet(crew):
    team, people = crew
    GroupSessionFactory(team=team, started_by=people["lead"], created_at=datetime(2026, 5, 1, tzinfo=UTC))
    GroupSessionFactory(
        team=team,
        started_by=people["lead"],
        phase="scheduled",
        starts_at=datetime(2026, 7, 1, tzinfo=UTC),
        created_at=datetime(2026, 6, 10, tzinfo=UTC),
    )
    plan_and_deliver(
        plan_at=datetime(2026, 6, 14, 12, 0, tzinfo=UTC), deliver_at=datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
    )
    assert of_kind(Kind.TEAM_QUIET).get().user == people["lead"]


def test_an_orphan_nobody_takes_on_for_a_week_nudges_the_lead(crew):
    team, people = crew
    orphan, _ = at(
        WEDNESDAY_NOON,
        orphan_post,
        user=people["member"],
        team_id=team.pk,
        title="Dead mailing list",
        client_id=uuid.uuid4(),
    )
    at(WEDNESDAY_NOON + timedelta(days=7, minutes=1), nudges_deliver)
    nudge = of_kind(Kind.ORPHAN_UNCLAIMED).get()
    assert (nudge.user, nudge.status) == (people["lead"], SENT) and "Dead mailing list" in nudge.body


def test_an_orphan_taken_on_within_the_week_does_not_nudge_the_lead(crew):
    team, people = crew
    orphan, _ = at(
        WEDNESDAY_NOON,
        orphan_post,
        user=people["member"],
        team_id=team.pk,
        title="Dead mailing list",
        client_id=uuid.uuid4(),
    )
    at(WEDNESDAY_NOON + timedelta(days=2), orphan_claim, user=people["teammate"], orphan_id=orphan.pk)
    at(WEDNESDAY_NOON + timedelta(days=7, minutes=1), nudges_deliver)
    assert of_kind(Kind.ORPHAN_UNCLAIMED).get().status == SKIPPED
