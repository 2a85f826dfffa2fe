"""Commitments: "I'll do it by Friday", taken on by oneself only, with an optional date to check
back; done (the team sees it kept and may acknowledge it) or dropped. From a live session, one's
own revealed share becomes one's commitment, a facilitator makes a share an orphan, and a
shout-out becomes an acknowledgement. Orphans claimed get the same date to check back."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from acknowledgements.models import Acknowledgement
from acknowledgements.services import acknowledgement_create, acknowledgement_from_share
from commitments.models import Commitment
from commitments.services import commitment_done, commitment_drop, commitment_from_share, commitment_make
from common.errors import Conflict, Invalid, NotAllowed, NotFound
from events.models import Event
from exercises.factories import ExerciseFactory, StepFactory
from exercises.models import Exercise, Step
from group_sessions.factories import GroupSessionFactory
from group_sessions.models import GroupSession, Share
from orphans.factories import OrphanFactory
from orphans.models import Orphan
from orphans.services import orphan_from_share, orphan_release
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

OPEN, DONE, DROPPED = Commitment.Status.OPEN, Commitment.Status.DONE, Commitment.Status.DROPPED


def make(client, team, text="I'll write up the on-call rota by Friday", **fields):
    return client.post(
        f"/api/v1/teams/{team.pk}/commitments",
        {"text": text, "client_id": str(uuid.uuid4()), **fields},
        format="json",
    )


def commitment_of(user, team, **fields) -> Commitment:
    commitment, _ = commitment_make(user=user, team_id=team.pk, text="Fix the flaky test", client_id=uuid.uuid4())
    Commitment.objects.filter(pk=commitment.pk).update(**fields)
    commitment.refresh_from_db()
    return commitment


# Making one


def test_a_member_takes_something_on_with_a_date_to_check_back(client_for, member, team):
    friday = timezone.localdate() + timedelta(days=3)
    response = make(client_for(member), team, check_back=str(friday))
    assert response.status_code == 201
    body = response.json()
    assert (body["volunteer"]["id"], body["status"], body["check_back"]) == (member.pk, "open", str(friday))


def test_the_volunteer_is_always_oneself(client_for, member, teammate, team):
    response = make(client_for(member), team, volunteer=teammate.pk)
    assert response.json()["volunteer"]["id"] == member.pk


def test_a_commitment_retried_is_one_commitment(client_for, member, team):
    client, client_id = client_for(member), str(uuid.uuid4())
    body = {"text": "Book the room", "client_id": client_id}
    first = client.post(f"/api/v1/teams/{team.pk}/commitments", body, format="json")
    again = client.post(f"/api/v1/teams/{team.pk}/commitments", body, format="json")
    assert (first.status_code, again.status_code, again.json()["id"]) == (201, 200, first.json()["id"])
    changed = client.post(f"/api/v1/teams/{team.pk}/commitments", {**body, "text": "Other"}, format="json")
    assert changed.status_code == 409 and error_codes(changed) == [(None, "idempotency_conflict")]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"text": "  "}, ("text", "blank")),
        ({"text": "x" * 501}, ("text", "max_length")),
        ({"check_back": "2020-01-01"}, ("check_back", "invalid")),
        ({"check_back": "next friday"}, ("check_back", "invalid")),
    ],
)
def test_nonsense_is_refused_on_its_field(client_for, member, team, fields, expected):
    response = make(client_for(member), team, **fields)
    assert response.status_code == 400 and expected in error_codes(response)
    assert not Commitment.objects.exists()


def test_nobody_outside_the_team_makes_or_lists_them(client_for, colleague, outsider, team):
    for person in (colleague, outsider):
        assert make(client_for(person), team).status_code == 404
        assert client_for(person).get(f"/api/v1/teams/{team.pk}/commitments").status_code == 404


def test_the_team_lists_them_newest_first_by_status(client_for, member, teammate, team):
    kept = commitment_of(member, team, status=DONE)
    still = commitment_of(teammate, team)
    client = client_for(member)
    assert [c["id"] for c in client.get(f"/api/v1/teams/{team.pk}/commitments").json()["results"]] == [
        still.pk,
        kept.pk,
    ]
    assert [c["id"] for c in client.get(f"/api/v1/teams/{team.pk}/commitments?status=done").json()["results"]] == [
        kept.pk
    ]


# Done and dropped


def test_the_volunteer_keeps_it_and_the_team_is_told_and_sees_it(client_for, member, teammate, team):
    commitment = commitment_of(member, team)
    response = client_for(member).post(f"/api/v1/commitments/{commitment.pk}/done")
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert Event.objects.get(user=teammate, type="commitment.done").data["commitment_id"] == commitment.pk
    item = client_for(teammate).get(f"/api/v1/teams/{team.pk}/feed").json()["results"][0]
    assert (item["type"], item["actor"]["id"], item["commitment"]["id"]) == (
        "commitment.done",
        member.pk,
        commitment.pk,
    )


def test_open_and_dropped_commitments_stay_off_the_feed(client_for, member, team):
    commitment_of(member, team)
    commitment_of(member, team, status=DROPPED)
    assert client_for(member).get(f"/api/v1/teams/{team.pk}/feed").json()["results"] == []


def test_done_twice_is_a_retry(member, teammate, team):
    commitment = commitment_of(member, team)
    first = commitment_done(user=member, commitment_id=commitment.pk)
    again = commitment_done(user=member, commitment_id=commitment.pk)
    assert again.done_at == first.done_at
    assert Event.objects.filter(user=teammate, type="commitment.done").count() == 1


def test_only_the_volunteer_ends_it(client_for, member, lead, team):
    commitment = commitment_of(member, team)
    for path in ("done", "drop"):
        response = client_for(lead).post(f"/api/v1/commitments/{commitment.pk}/{path}")
        assert response.status_code == 403 and error_codes(response) == [(None, "not_the_volunteer")]


def test_a_dropped_one_is_not_done_and_the_reverse(member, team):
    dropped = commitment_drop(user=member, commitment_id=commitment_of(member, team).pk)
    assert dropped.status == DROPPED
    with pytest.raises(Conflict) as refused:
        commitment_done(user=member, commitment_id=dropped.pk)
    assert refused.value.code == "commitment_closed"


def test_someone_elses_team_commitment_does_not_exist(client_for, colleague, member, team):
    response = client_for(colleague).post(f"/api/v1/commitments/{commitment_of(member, team).pk}/done")
    assert response.status_code == 404 and error_codes(response) == [(None, "commitment_not_found")]


# Acknowledging a commitment


def thank(sender, recipient, commitment):
    return acknowledgement_create(
        sender=sender,
        recipient_id=recipient.pk,
        message="You said you would, and you did",
        behaviour="took_initiative",
        visibility="team",
        client_id=uuid.uuid4(),
        commitment_id=commitment.pk,
    )


def test_a_teammate_acknowledges_a_commitment_kept(client_for, member, teammate, team):
    commitment = commitment_of(member, team, status=DONE, done_at=timezone.now())
    response = client_for(teammate).post(
        "/api/v1/acknowledgements",
        {
            "recipient": member.pk,
            "message": "Kept your word",
            "behaviour": "took_initiative",
            "visibility": "team",
            "client_id": str(uuid.uuid4()),
            "commitment": commitment.pk,
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["commitment"] == commitment.pk


def test_a_commitment_is_acknowledged_in_its_volunteer_only(member, teammate, lead, team):
    commitment = commitment_of(member, team)
    with pytest.raises(Invalid) as refused:
        thank(teammate, lead, commitment)
    assert (refused.value.code, refused.value.field) == ("not_the_volunteer", "recipient")


def test_a_dropped_or_unseen_commitment_is_not_acknowledged(member, teammate, colleague, team):
    with pytest.raises(NotFound):
        thank(teammate, member, commitment_of(member, team, status=DROPPED))
    with pytest.raises(NotFound) as refused:
        thank(colleague, member, commitment_of(member, team))
    assert (refused.value.code, refused.value.field) == ("commitment_not_found", "commitment")
    assert not Acknowledgement.objects.exists()


# Orphans claimed with a date to check back


def test_an_orphan_is_claimed_with_a_date_to_check_back_and_released_without(client_for, member, teammate, team):
    orphan = OrphanFactory(team=team, posted_by=member)
    friday = timezone.localdate() + timedelta(days=4)
    response = client_for(teammate).post(
        f"/api/v1/orphans/{orphan.pk}/claim", {"check_back": str(friday)}, format="json"
    )
    assert response.status_code == 200 and response.json()["check_back"] == str(friday)
    orphan_release(user=teammate, orphan_id=orphan.pk)
    assert Orphan.objects.get(pk=orphan.pk).check_back_on is None


def test_a_claim_without_a_body_still_works(client_for, member, teammate, team):
    orphan = OrphanFactory(team=team, posted_by=member)
    response = client_for(teammate).post(f"/api/v1/orphans/{orphan.pk}/claim")
    assert response.status_code == 200 and response.json()["check_back"] is None


def test_a_check_back_date_in_the_past_is_refused(client_for, member, teammate, team):
    orphan = OrphanFactory(team=team, posted_by=member)
    response = client_for(teammate).post(
        f"/api/v1/orphans/{orphan.pk}/claim", {"check_back": "2020-01-01"}, format="json"
    )
    assert response.status_code == 400 and error_codes(response) == [("check_back", "invalid")]
    assert Orphan.objects.get(pk=orphan.pk).status == Orphan.Status.OPEN


# From a live session's revealed shares


@pytest.fixture
def revealed(lead, member, teammate, team):
    """A live session at its share round, revealed, with the member's share."""
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP, steps=[])
    StepFactory(exercise=exercise, position=1, kind=Step.Kind.SHARE)
    session = GroupSessionFactory(
        team=team, exercise=exercise, started_by=lead, phase=GroupSession.Phase.STEP, step=1, revealed_steps=[1]
    )
    share = Share.objects.create(session=session, step=1, author=member, text="I'll chase the vendor by Thursday")
    return session, share


def test_ones_own_revealed_share_becomes_ones_commitment_once(member, team, revealed):
    session, share = revealed
    friday = timezone.localdate() + timedelta(days=2)
    commitment = commitment_from_share(user=member, session_id=session.pk, share_ref=share.ref, check_back_on=friday)
    again = commitment_from_share(user=member, session_id=session.pk, share_ref=share.ref)
    assert again.pk == commitment.pk
    assert (commitment.text, commitment.volunteer, commitment.team, commitment.check_back_on) == (
        share.text,
        member,
        team,
        friday,
    )
    assert commitment.session_id == session.pk


def test_nobody_commits_someone_else_to_their_share(teammate, revealed):
    session, share = revealed
    with pytest.raises(NotAllowed) as refused:
        commitment_from_share(user=teammate, session_id=session.pk, share_ref=share.ref)
    assert refused.value.code == "not_your_share"


def test_a_share_not_revealed_is_not_made_anything(lead, member, revealed):
    session, share = revealed
    GroupSession.objects.filter(pk=session.pk).update(revealed_steps=[])
    with pytest.raises(NotFound):
        commitment_from_share(user=member, session_id=session.pk, share_ref=share.ref)
    with pytest.raises(NotFound):
        orphan_from_share(user=lead, session_id=session.pk, share_ref=share.ref)


def test_the_facilitator_makes_a_share_an_orphan_once_posted_by_its_author(lead, member, team, revealed):
    session, share = revealed
    orphan = orphan_from_share(user=lead, session_id=session.pk, share_ref=share.ref)
    again = orphan_from_share(user=lead, session_id=session.pk, share_ref=share.ref)
    assert again.pk == orphan.pk
    assert (orphan.team, orphan.posted_by, orphan.title, orphan.status) == (team, member, share.text, "open")


def test_an_orphan_made_from_a_share_remembers_its_session(lead, revealed):
    session, share = revealed
    assert orphan_from_share(user=lead, session_id=session.pk, share_ref=share.ref).session_id == session.pk


def test_a_long_anonymous_share_becomes_an_orphan_titled_short_posted_by_the_facilitator(lead, revealed):
    session, share = revealed
    words = "The shared drive permissions nobody understands " * 10
    Share.objects.filter(pk=share.pk).update(anonymous=True, text=words)
    orphan = orphan_from_share(user=lead, session_id=session.pk, share_ref=share.ref)
    assert orphan.posted_by == lead
    assert len(orphan.title) <= 140 and orphan.title.endswith("…") and orphan.detail == words.strip()


def test_only_the_facilitator_makes_an_orphan(member, revealed):
    session, share = revealed
    with pytest.raises(NotAllowed) as refused:
        orphan_from_share(user=member, session_id=session.pk, share_ref=share.ref)
    assert refused.value.code == "not_facilitator"


def test_a_shout_out_becomes_the_authors_acknowledgement_of_the_colleague(member, teammate, revealed):
    session, share = revealed
    acknowledgement = acknowledgement_from_share(
        user=member, session_id=session.pk, share_ref=share.ref, recipient_id=teammate.pk, behaviour="helped"
    )
    assert (acknowledgement.sender, acknowledgement.recipient, acknowledgement.message) == (
        member,
        teammate,
        share.text,
    )
    assert acknowledgement.visibility == "team"
    assert Event.objects.filter(user=teammate, type="acknowledgement.received").count() == 1
    again = acknowledgement_from_share(
        user=member, session_id=session.pk, share_ref=share.ref, recipient_id=teammate.pk, behaviour="helped"
    )
    assert again.pk == acknowledgement.pk


def test_only_the_author_confirms_a_shout_out(teammate, lead, revealed):
    session, share = revealed
    with pytest.raises(NotAllowed) as refused:
        acknowledgement_from_share(
            user=teammate, session_id=session.pk, share_ref=share.ref, recipient_id=lead.pk, behaviour="helped"
        )
    assert refused.value.code == "not_your_share"


def test_a_shout_out_follows_the_acknowledgement_rules(member, outsider, revealed):
    session, share = revealed
    with pytest.raises(Invalid) as refused:
        acknowledgement_from_share(
            user=member, session_id=session.pk, share_ref=share.ref, recipient_id=member.pk, behaviour="helped"
        )
    assert refused.value.code == "self_acknowledgement"
    with pytest.raises(NotFound):
        acknowledgement_from_share(
            user=member, session_id=session.pk, share_ref=share.ref, recipient_id=outsider.pk, behaviour="helped"
        )
