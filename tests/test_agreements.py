"""Team agreements: a member starts one or proposes a new wording, the lead adopts a draft (or a
live session's facilitator adopts a revealed share or typed words), old versions stay; a
contribution agreement is read, and commented on, by the rest of the organisation; every other
kind is the team's alone."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from agreements.factories import AgreementFactory, CommentFactory, VersionFactory
from agreements.models import REVIEW_AFTER_DAYS, Agreement, Version
from agreements.services import agreement_adopt, agreement_adopt_in_session, agreement_propose
from common.errors import Conflict, Invalid, NotAllowed, NotFound
from events.models import Event
from exercises.factories import ExerciseFactory, StepFactory
from exercises.models import Exercise, Step
from group_sessions.factories import GroupSessionFactory
from group_sessions.models import GroupSession, Share
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

CONTRIBUTION, PURPOSE, NORM = Agreement.Kind.CONTRIBUTION, Agreement.Kind.PURPOSE, Agreement.Kind.WORKING_NORM
DRAFT, CURRENT, PAST = Version.Status.DRAFT, Version.Status.CURRENT, Version.Status.PAST


def start(client, team, *, kind=CONTRIBUTION, text="We keep the payroll running for everyone", client_id=None):
    return client.post(
        f"/api/v1/teams/{team.pk}/agreements",
        {"kind": kind, "text": text, "client_id": str(client_id or uuid.uuid4())},
        format="json",
    )


def agreement_with(team, *versions, kind=CONTRIBUTION):
    """An agreement whose versions have these statuses, numbered from 1."""
    agreement = AgreementFactory(team=team, kind=kind)
    for number, status in enumerate(versions, 1):
        VersionFactory(agreement=agreement, number=number, status=status, text=f"Wording {number}")
    return agreement


# Starting one and proposing


def test_a_member_starts_an_agreement_whose_first_wording_is_a_draft(client_for, member, team):
    response = start(client_for(member), team)
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "contribution" and body["current"] is None
    assert [(v["number"], v["status"], v["proposed_by"]["id"]) for v in body["versions"]] == [(1, "draft", member.pk)]


def test_starting_it_again_with_the_same_client_id_is_a_retry(client_for, member, team):
    client_id = uuid.uuid4()
    first = start(client_for(member), team, client_id=client_id)
    again = start(client_for(member), team, client_id=client_id)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Version.objects.count() == 1


def test_the_same_client_id_with_other_words_is_a_conflict(client_for, member, team):
    client_id = uuid.uuid4()
    start(client_for(member), team, client_id=client_id)
    response = start(client_for(member), team, client_id=client_id, text="Something else")
    assert response.status_code == 409 and error_codes(response) == [(None, "idempotency_conflict")]


def test_a_team_has_one_agreement_of_each_kind(client_for, member, teammate, team):
    start(client_for(member), team)
    response = start(client_for(teammate), team)
    assert response.status_code == 409 and error_codes(response) == [(None, "agreement_exists")]
    assert start(client_for(teammate), team, kind=PURPOSE).status_code == 201


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"kind": "manifesto", "text": "x"}, ("kind", "invalid_choice")),
        ({"kind": "purpose", "text": "   "}, ("text", "blank")),
        ({"kind": "purpose", "text": "x" * 2001}, ("text", "max_length")),
        ({"kind": "purpose", "text": "x", "client_id": "not-a-uuid"}, ("client_id", "invalid")),
    ],
)
def test_nonsense_is_refused_on_its_field(client_for, member, team, body, expected):
    response = client_for(member).post(
        f"/api/v1/teams/{team.pk}/agreements", {"client_id": str(uuid.uuid4()), **body}, format="json"
    )
    assert response.status_code == 400 and expected in error_codes(response)
    assert not Agreement.objects.exists()


def test_nobody_outside_the_team_starts_one(client_for, colleague, outsider, team):
    for person in (colleague, outsider):
        response = start(client_for(person), team)
        assert response.status_code == 404 and error_codes(response) == [(None, "team_not_found")]


def test_any_member_proposes_a_new_wording_numbered_after_the_rest(client_for, teammate, team):
    agreement = agreement_with(team, CURRENT, DRAFT)
    response = client_for(teammate).post(
        f"/api/v1/agreements/{agreement.pk}/versions",
        {"text": "We keep payroll right, first time", "client_id": str(uuid.uuid4())},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["number"], response.json()["status"]) == (3, "draft")


def test_a_proposal_retried_is_answered_as_the_first_time(member, team):
    agreement = agreement_with(team, CURRENT)
    client_id = uuid.uuid4()
    first, created = agreement_propose(user=member, agreement_id=agreement.pk, text="Again", client_id=client_id)
    again, created_again = agreement_propose(user=member, agreement_id=agreement.pk, text="Again", client_id=client_id)
    assert (created, created_again, again.pk) == (True, False, first.pk)


def test_someone_of_another_team_reads_a_contribution_but_may_not_propose(colleague, team):
    agreement = agreement_with(team, CURRENT)
    with pytest.raises(NotAllowed) as refused:
        agreement_propose(user=colleague, agreement_id=agreement.pk, text="Mine", client_id=uuid.uuid4())
    assert refused.value.code == "not_team_member"


# Adopting over HTTP


def adopt(client, agreement, **body):
    return client.post(f"/api/v1/agreements/{agreement.pk}/adopt", body, format="json")


def test_the_lead_adopts_a_draft_and_the_one_before_it_is_kept_as_past(client_for, lead, team):
    agreement = agreement_with(team, CURRENT, DRAFT)
    response = adopt(client_for(lead), agreement, version=2)
    assert response.status_code == 200
    body = response.json()
    assert body["current"]["number"] == 2 and body["current"]["adopted_by"]["id"] == lead.pk
    assert [(v["number"], v["status"]) for v in body["versions"]] == [(2, "current"), (1, "past")]
    assert body["review_on"] == str(timezone.localdate() + timedelta(days=REVIEW_AFTER_DAYS))


def test_the_lead_may_choose_the_review_date(client_for, lead, team):
    agreement = agreement_with(team, DRAFT)
    review_on = timezone.localdate() + timedelta(days=14)
    assert adopt(client_for(lead), agreement, version=1, review_on=str(review_on)).json()["review_on"] == str(review_on)


def test_a_review_date_in_the_past_is_refused(client_for, lead, team):
    response = adopt(client_for(lead), agreement_with(team, DRAFT), version=1, review_on="2020-01-01")
    assert response.status_code == 400 and error_codes(response) == [("review_on", "invalid")]


def test_only_the_lead_adopts_over_the_app(client_for, member, team):
    response = adopt(client_for(member), agreement_with(team, DRAFT), version=1)
    assert response.status_code == 403 and error_codes(response) == [(None, "not_team_lead")]


def test_adopting_the_current_version_again_is_a_retry(lead, member, team):
    agreement = agreement_with(team, DRAFT)
    first = agreement_adopt(user=lead, agreement_id=agreement.pk, number=1)
    again = agreement_adopt(user=lead, agreement_id=agreement.pk, number=1)
    assert again.adopted_at == first.adopted_at
    assert Event.objects.filter(user=member, type="agreement.adopted").count() == 1


def test_a_replaced_version_is_not_adopted_again(lead, team):
    agreement = agreement_with(team, PAST, CURRENT)
    with pytest.raises(Conflict) as refused:
        agreement_adopt(user=lead, agreement_id=agreement.pk, number=1)
    assert refused.value.code == "version_not_draft"


def test_a_version_that_does_not_exist_is_refused_on_its_field(client_for, lead, team):
    response = adopt(client_for(lead), agreement_with(team, DRAFT), version=7)
    assert response.status_code == 400 and error_codes(response) == [("version", "version_not_found")]


def test_the_team_is_told_and_sees_the_adoption_on_its_feed(client_for, lead, member, team):
    agreement = agreement_with(team, DRAFT)
    agreement_adopt(user=lead, agreement_id=agreement.pk, number=1)
    event = Event.objects.get(user=member, type="agreement.adopted")
    assert event.data["agreement_id"] == agreement.pk and event.data["adopted_by"]["id"] == lead.pk
    assert not Event.objects.filter(user=lead, type="agreement.adopted").exists()
    item = client_for(member).get(f"/api/v1/teams/{team.pk}/feed").json()["results"][0]
    assert item["type"] == "agreement.adopted"
    assert (item["agreement_id"], item["kind"], item["actor"]["id"]) == (agreement.pk, "contribution", lead.pk)
    assert item["version"]["text"] == "Wording 1"


def test_drafts_stay_off_the_feed(client_for, member, team):
    agreement_with(team, DRAFT)
    assert client_for(member).get(f"/api/v1/teams/{team.pk}/feed").json()["results"] == []


def test_the_feed_pages_through_adoptions_without_repeating_one(client_for, lead, member, team):
    agreement = agreement_with(team, DRAFT, DRAFT, DRAFT)
    for number in (1, 2, 3):
        agreement_adopt(user=lead, agreement_id=agreement.pk, number=number)
    client = client_for(member)
    first = client.get(f"/api/v1/teams/{team.pk}/feed?limit=2").json()
    second = client.get(first["next"]).json()
    assert [i["version"]["number"] for i in first["results"] + second["results"]] == [3, 2, 1]


# Who reads what


def test_the_whole_organisation_reads_a_contribution_agreement(client_for, colleague, team):
    agreement = agreement_with(team, CURRENT)
    agreement_with(team, CURRENT, kind=PURPOSE)
    listed = client_for(colleague).get(f"/api/v1/teams/{team.pk}/agreements").json()
    assert [a["kind"] for a in listed] == ["contribution"]
    detail = client_for(colleague).get(f"/api/v1/agreements/{agreement.pk}")
    assert detail.status_code == 200 and detail.json()["current"]["text"] == "Wording 1"


def test_every_other_kind_does_not_exist_outside_the_team(client_for, colleague, team):
    for kind in (PURPOSE, NORM, Agreement.Kind.INITIATIVE_FRAME):
        agreement = agreement_with(team, CURRENT, kind=kind)
        response = client_for(colleague).get(f"/api/v1/agreements/{agreement.pk}")
        assert response.status_code == 404 and error_codes(response) == [(None, "agreement_not_found")]


def test_another_organisation_reads_nothing(client_for, outsider, coach, team):
    agreement = agreement_with(team, CURRENT)
    for person in (outsider, coach):
        assert client_for(person).get(f"/api/v1/agreements/{agreement.pk}").status_code == 404
        assert client_for(person).get(f"/api/v1/teams/{team.pk}/agreements").status_code == 404


def test_the_team_lists_all_its_agreements_with_their_current_wording(client_for, member, team):
    agreement_with(team, PAST, CURRENT, DRAFT)
    agreement_with(team, DRAFT, kind=PURPOSE)
    listed = client_for(member).get(f"/api/v1/teams/{team.pk}/agreements").json()
    assert [(a["kind"], a["current"] and a["current"]["number"]) for a in listed] == [
        ("contribution", 2),
        ("purpose", None),
    ]


# Comments from the other teams


def comment(client, agreement, text="This saves us a day every month", client_id=None):
    return client.post(
        f"/api/v1/agreements/{agreement.pk}/comments",
        {"text": text, "client_id": str(client_id or uuid.uuid4())},
        format="json",
    )


def test_someone_of_another_team_comments_and_the_team_sees_it(client_for, colleague, member, team):
    agreement = agreement_with(team, CURRENT)
    assert comment(client_for(colleague), agreement).status_code == 201
    comments = client_for(member).get(f"/api/v1/agreements/{agreement.pk}").json()["comments"]
    assert [(c["author"]["id"], c["text"]) for c in comments] == [(colleague.pk, "This saves us a day every month")]


def test_others_of_the_organisation_see_only_their_own_comments(client_for, colleague, organisation, team):
    agreement = agreement_with(team, CURRENT)
    CommentFactory(agreement=agreement, author=agreement.created_by, text="Someone else's word")
    comment(client_for(colleague), agreement, text="Mine")
    seen = client_for(colleague).get(f"/api/v1/agreements/{agreement.pk}").json()["comments"]
    assert [c["text"] for c in seen] == ["Mine"]


def test_the_team_does_not_comment_on_its_own_agreement(client_for, member, team):
    response = comment(client_for(member), agreement_with(team, CURRENT))
    assert response.status_code == 403 and error_codes(response) == [(None, "own_team_agreement")]


def test_nobody_comments_on_a_kind_they_cannot_read(client_for, colleague, team):
    response = comment(client_for(colleague), agreement_with(team, CURRENT, kind=PURPOSE))
    assert response.status_code == 404


def test_a_comment_is_short(client_for, colleague, team):
    response = comment(client_for(colleague), agreement_with(team, CURRENT), text="x" * 281)
    assert response.status_code == 400 and ("text", "max_length") in error_codes(response)


def test_a_comment_retried_is_one_comment(client_for, colleague, team):
    agreement, client_id = agreement_with(team, CURRENT), uuid.uuid4()
    comment(client_for(colleague), agreement, client_id=client_id)
    assert comment(client_for(colleague), agreement, client_id=client_id).status_code == 200
    assert agreement.comments.count() == 1


# Adopting in a live session


@pytest.fixture
def revealed(lead, member, team):
    """A live session at its share round, revealed, with the member's share."""
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP, steps=[])
    StepFactory(exercise=exercise, position=1, kind=Step.Kind.SHARE)
    session = GroupSessionFactory(
        team=team, exercise=exercise, started_by=lead, phase=GroupSession.Phase.STEP, step=1, revealed_steps=[1]
    )
    share = Share.objects.create(session=session, step=1, author=member, text="If we vanished, payday would")
    return session, share


def test_the_facilitator_adopts_a_revealed_share_as_the_next_version(lead, member, team, revealed):
    session, share = revealed
    agreement = agreement_with(team, CURRENT)
    version = agreement_adopt_in_session(
        user=lead, session_id=session.pk, version=session.version, agreement_id=agreement.pk, share_ref=share.ref
    )
    assert (version.number, version.status, version.text) == (2, CURRENT, share.text)
    assert (version.proposed_by, version.adopted_by, version.session_id) == (member, lead, session.pk)
    assert Version.objects.get(agreement=agreement, number=1).status == PAST


def test_adopting_by_kind_makes_the_agreement_the_team_lacks(lead, team, revealed):
    session, _ = revealed
    version = agreement_adopt_in_session(
        user=lead, session_id=session.pk, version=session.version, kind=PURPOSE, text="Payday, right, every time"
    )
    assert (version.agreement.team, version.agreement.kind, version.number) == (team, PURPOSE, 1)
    assert version.proposed_by == lead


def test_an_anonymous_share_adopted_never_names_its_author(lead, team, revealed):
    session, share = revealed
    Share.objects.filter(pk=share.pk).update(anonymous=True)
    version = agreement_adopt_in_session(
        user=lead, session_id=session.pk, version=session.version, kind=NORM, share_ref=share.ref
    )
    assert version.proposed_by == lead


def test_a_double_tap_adopts_once(lead, team, revealed):
    session, share = revealed
    agreement_adopt_in_session(
        user=lead, session_id=session.pk, version=session.version, kind=NORM, share_ref=share.ref
    )
    with pytest.raises(Conflict) as refused:
        agreement_adopt_in_session(
            user=lead, session_id=session.pk, version=session.version, kind=NORM, share_ref=share.ref
        )
    assert refused.value.code == "stale_version"
    assert Version.objects.count() == 1


def test_only_the_facilitator_adopts_in_a_session(member, revealed):
    session, share = revealed
    with pytest.raises(NotAllowed) as refused:
        agreement_adopt_in_session(
            user=member, session_id=session.pk, version=session.version, kind=NORM, share_ref=share.ref
        )
    assert refused.value.code == "not_facilitator"


def test_a_share_not_yet_revealed_stays_its_authors(lead, team, revealed):
    session, share = revealed
    GroupSession.objects.filter(pk=session.pk).update(revealed_steps=[])
    with pytest.raises(NotFound) as refused:
        agreement_adopt_in_session(
            user=lead, session_id=session.pk, version=session.version, kind=NORM, share_ref=share.ref
        )
    assert (refused.value.code, refused.value.field) == ("share_not_found", "share")
    assert not Version.objects.exists()


def test_another_teams_agreement_is_not_adopted_in_this_session(lead, colleague, revealed):
    session, share = revealed
    elsewhere = agreement_with(colleague.memberships.get().team, CURRENT)
    with pytest.raises(NotFound) as refused:
        agreement_adopt_in_session(
            user=lead, session_id=session.pk, version=session.version, agreement_id=elsewhere.pk, share_ref=share.ref
        )
    assert refused.value.code == "agreement_not_found"


@pytest.mark.parametrize(
    "arguments",
    [
        {"share_ref": "x"},  # neither an agreement nor a kind
        {"kind": "purpose"},  # neither a share nor words
        {"kind": "purpose", "agreement_id": 1, "text": "x"},
        {"kind": "purpose", "share_ref": "x", "text": "x"},
    ],
)
def test_a_session_adoption_names_one_agreement_and_one_wording(lead, revealed, arguments):
    session, _ = revealed
    with pytest.raises(Invalid):
        agreement_adopt_in_session(user=lead, session_id=session.pk, version=session.version, **arguments)
