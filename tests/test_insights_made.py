"""What teams made stay, for coaches: agreement versions adopted and commitments kept per team
and week, counts only, under the same anonymity rules as every other figure (a team below k
shows nothing, a count fewer than k people are behind is suppressed, the organisation row sums
only what its teams publish), never a word of what was agreed or committed to.

History is built in ISO week 2026-W10 (Monday 2026-03-02, UTC) and read on 2026-03-20, once
that week is over and rolled up."""

import uuid
from datetime import timedelta

import pytest

from agreements.factories import AgreementFactory, VersionFactory
from agreements.models import Agreement, Version
from commitments.services import commitment_done, commitment_drop, commitment_make
from tests.test_insights import (
    DURING,
    HIDDEN,
    TOO_SMALL,
    at,
    dashboard_page,
    read,
    read_csv,
    roll_up,
    session_of,
    shown,
    team_of,
    team_week,
)

pytestmark = pytest.mark.django_db

AGREED = "We answer every request from Support within a day."
COMMITTED = "I will rewrite the release checklist by Friday."


def organisation_week(body: dict) -> dict:
    return body["organisation_total"]["weeks"][0]


def adopt(team, *, proposer, adopter, session=None, when=DURING, kind=Agreement.Kind.CONTRIBUTION) -> Version:
    """A version of the team's agreement of this kind, proposed and adopted `when`: the one
    before it, if any, becomes past."""
    agreement = Agreement.objects.filter(team=team, kind=kind).first() or AgreementFactory(
        team=team, kind=kind, created_by=proposer
    )
    agreement.versions.filter(status=Version.Status.CURRENT).update(status=Version.Status.PAST)
    return VersionFactory(
        agreement=agreement,
        text=AGREED,
        proposed_by=proposer,
        proposed_at=when,
        status=Version.Status.CURRENT,
        adopted_by=adopter,
        adopted_at=when,
        session=session,
    )


def adopt_in_session(team, people, *, times: int = 1):
    """`times` versions adopted in one live session everyone in `people` attended."""
    session = session_of(team, people)
    for kind in list(Agreement.Kind)[:times]:
        adopt(team, proposer=people[1], adopter=people[0], session=session, kind=kind)


def keep(person, team, *, when=DURING):
    with at(when):
        commitment, _ = commitment_make(user=person, team_id=team.pk, text=COMMITTED, client_id=uuid.uuid4())
        return commitment_done(user=person, commitment_id=commitment.pk)


def made(week: dict) -> tuple[dict, dict]:
    return week["agreements"]["adopted"], week["commitments"]["kept"]


# A team below k


def test_a_coach_never_sees_a_team_of_fours_agreements_or_commitments(client_for, coach, organisation):
    team, people = team_of(4, organisation)
    adopt_in_session(team, people, times=2)
    for person in people:
        keep(person, team)
    roll_up()
    assert made(team_week(read(client_for, coach, organisation), team)) == (TOO_SMALL, TOO_SMALL)


def test_the_organisation_row_says_nothing_of_a_team_of_four(client_for, coach, organisation):
    published, published_people = team_of(5, organisation)
    small, small_people = team_of(4, organisation)
    adopt_in_session(published, published_people)
    adopt_in_session(small, small_people, times=3)
    for team, people in ((published, published_people), (small, small_people)):
        for person in people:
            keep(person, team)
    roll_up()
    body = read(client_for, coach, organisation)
    assert made(organisation_week(body)) == made(team_week(body, published)) == (shown(1), shown(5))


# Counts, and when they are suppressed


def test_versions_adopted_in_a_session_attended_by_five_are_counted(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    adopt_in_session(team, people[:5], times=2)
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["agreements"]["adopted"] == shown(2)


def test_a_version_a_lead_adopted_from_one_proposal_is_suppressed(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    adopt(team, proposer=people[1], adopter=people[0])
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["agreements"]["adopted"] == HIDDEN


def test_versions_proposed_and_adopted_by_five_people_are_counted_without_a_session(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    adopt(team, proposer=people[1], adopter=people[0], kind=Agreement.Kind.CONTRIBUTION)
    adopt(team, proposer=people[2], adopter=people[0], kind=Agreement.Kind.PURPOSE)
    adopt(team, proposer=people[3], adopter=people[4], kind=Agreement.Kind.WORKING_NORM)
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["agreements"]["adopted"] == shown(3)


def test_drafts_and_versions_adopted_in_another_week_are_not_counted(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    adopt_in_session(team, people)
    AgreementFactory(team=team, kind=Agreement.Kind.PURPOSE, created_by=people[0])
    VersionFactory(agreement=Agreement.objects.get(team=team, kind=Agreement.Kind.PURPOSE), proposed_at=DURING)
    session = session_of(team, people, when=DURING + timedelta(weeks=1))
    adopt(team, proposer=people[0], adopter=people[0], session=session, when=DURING + timedelta(weeks=1))
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["agreements"]["adopted"] == shown(1)


def test_commitments_kept_by_five_people_are_counted(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    for person in people[:5]:
        keep(person, team)
    keep(people[0], team)
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["commitments"]["kept"] == shown(6)


def test_commitments_kept_by_four_people_are_suppressed(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    for person in people[:4]:
        keep(person, team)
        keep(person, team)
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["commitments"]["kept"] == HIDDEN


def test_open_dropped_and_other_weeks_commitments_are_not_kept(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    for person in people[:5]:
        keep(person, team)
    with at(DURING):
        commitment_make(user=people[5], team_id=team.pk, text=COMMITTED, client_id=uuid.uuid4())
        dropped, _ = commitment_make(user=people[5], team_id=team.pk, text=COMMITTED, client_id=uuid.uuid4())
        commitment_drop(user=people[5], commitment_id=dropped.pk)
    keep(people[5], team, when=DURING + timedelta(weeks=1))
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["commitments"]["kept"] == shown(5)


def test_a_quiet_week_makes_nothing_but_gaps(client_for, coach, organisation):
    team, _ = team_of(5, organisation)
    roll_up()
    assert made(team_week(read(client_for, coach, organisation), team)) == (HIDDEN, HIDDEN)


# Never a word


@pytest.fixture
def a_team_that_made_things(organisation):
    team, people = team_of(6, organisation)
    adopt_in_session(team, people, times=2)
    for person in people:
        keep(person, team)
    roll_up()
    return team


def test_the_json_counts_but_never_says_what_was_agreed_or_committed(
    client_for, coach, organisation, a_team_that_made_things
):
    body = read(client_for, coach, organisation)
    assert made(team_week(body, a_team_that_made_things)) == (shown(2), shown(6))
    assert AGREED not in str(body) and COMMITTED not in str(body)


def test_the_csv_has_a_row_for_each_count_and_no_words(client_for, coach, organisation, a_team_that_made_things):
    rows = read_csv(client_for, coach, organisation)
    counts = {(row[2], row[3]): row[4] for row in rows if row[0] == a_team_that_made_things.name}
    assert (counts["agreements", "adopted"], counts["commitments", "kept"]) == ("2", "6")
    assert not [row for row in rows if AGREED in row or COMMITTED in row]


def test_the_dashboard_charts_what_teams_made_and_shows_no_words(coach, organisation, a_team_that_made_things):
    page = dashboard_page(coach, organisation).content.decode()
    assert 'id="made"' in page
    assert '"adopted":{"value":2' in page.replace(" ", "")
    assert AGREED not in page and COMMITTED not in page


def test_the_schema_documents_both_counts(anonymous):
    schema = anonymous.get("/api/schema/?format=json").json()["components"]["schemas"]
    week = schema["InsightsWeek"]["properties"]
    assert {"agreements", "commitments"} <= set(week)
    assert set(schema["AgreementsAdopted"]["properties"]) == {"adopted"}
    assert set(schema["CommitmentsKept"]["properties"]) == {"kept"}
