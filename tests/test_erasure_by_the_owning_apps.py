"""Erasure hands back what others depend on through the apps that own it, so the team sees the
same as when the person does it by hand: an ended session is announced and its participants
invited to reflect, a released claim is an activity like any release."""

import asyncio
import uuid
from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from accounts.factories import DEFAULT_PASSWORD
from administration.factories import OrganisationAdminFactory
from administration.models import AuditEntry
from administration.services import audit_record
from events.channels import session_group
from events.models import Event
from group_sessions.factories import ConnectionFactory, GroupSessionFactory
from group_sessions.models import GroupSession
from group_sessions.services import facilitated_sessions_end, session_begin, session_end
from nudges.models import Nudge
from orphans.models import Activity, Orphan
from orphans.services import orphan_claim, orphan_claims_release, orphan_post, orphan_release
from privacy.services import rows_referring_to
from privacy.tasks import carry_out_erasures
from teams.factories import InvitationFactory
from teams.models import Invitation, Membership

pytestmark = pytest.mark.django_db

LATER = timedelta(days=settings.ERASURE_GRACE_DAYS, seconds=1)


def erase(client_for, person, django_capture_on_commit_callbacks) -> None:
    """As it happens: asked for with the password, carried out by the worker once due."""
    assert client_for(person).delete("/api/v1/me", {"password": DEFAULT_PASSWORD}, format="json").status_code == 202
    with time_machine.travel(timezone.now() + LATER), django_capture_on_commit_callbacks(execute=True):
        assert carry_out_erasures.call() == 1


class Room:
    """Listens to a session's room the way its consumers do, through the channel layer."""

    def __init__(self, layer, session_id: int):
        self.layer = layer
        self.channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(session_group(session_id), self.channel)

    def frames(self) -> list[dict]:
        received = []

        async def drain():
            while True:
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channel), 0.05)
                except TimeoutError:
                    return
                received.append(message["frame"])

        async_to_sync(drain)()
        return received


@pytest.fixture
def room_of(monkeypatch):
    """A listener on a session's room. Its membership outlives the days the worker waits (the
    layer would otherwise forget the listener before the erasure is carried out)."""
    layer = get_channel_layer()
    monkeypatch.setattr(layer, "group_expiry", 10**9)
    return lambda session: Room(layer, session.pk)


@pytest.fixture
def live_session(lead, teammate, team, django_capture_on_commit_callbacks):
    """A session the lead facilitates, one step in, with the teammate taking part."""
    session = GroupSessionFactory(team=team, started_by=lead, facilitator=lead)
    for person in (lead, teammate):
        ConnectionFactory(session=session, user=person)
    with django_capture_on_commit_callbacks(execute=True):
        return session_begin(user=lead, session_id=session.pk, version=session.version)


def ends_it_by_hand_then_is_erased(client_for, lead, session, capture):
    with capture(execute=True):
        session_end(user=lead, session_id=session.pk, version=session.version)
    erase(client_for, lead, capture)


def is_erased_while_it_is_live(client_for, lead, session, capture):
    erase(client_for, lead, capture)


SESSION_ENDINGS = pytest.mark.parametrize("how", [ends_it_by_hand_then_is_erased, is_erased_while_it_is_live])


@SESSION_ENDINGS
def test_participants_are_invited_to_reflect(
    client_for, lead, teammate, live_session, django_capture_on_commit_callbacks, how
):
    how(client_for, lead, live_session, django_capture_on_commit_callbacks)
    invites = Event.objects.filter(user=teammate, type="session.reflection_invite")
    assert [invite.data for invite in invites] == [
        {
            "session_id": live_session.pk,
            "team_id": live_session.team_id,
            "exercise": {"slug": live_session.exercise.slug, "title": live_session.exercise.title},
        }
    ]
    assert list(Nudge.objects.filter(user=teammate).values_list("kind", flat=True)) == ["reflect_after"]


@SESSION_ENDINGS
def test_the_room_is_told_the_session_ended_with_its_version_moved_on(
    client_for, lead, live_session, django_capture_on_commit_callbacks, room_of, how
):
    room = room_of(live_session)
    how(client_for, lead, live_session, django_capture_on_commit_callbacks)
    [frame] = room.frames()
    assert frame["type"] == "state"
    assert (frame["session"]["phase"], frame["session"]["version"]) == ("ended", live_session.version + 1)
    ended = GroupSession.objects.get(pk=live_session.pk)
    assert (ended.phase, ended.version, ended.facilitator) == ("ended", live_session.version + 1, None)
    assert ended.ended_at is not None


def test_the_room_is_not_told_an_erased_facilitators_name(
    client_for, lead, live_session, django_capture_on_commit_callbacks, room_of
):
    room = room_of(live_session)
    erase(client_for, lead, django_capture_on_commit_callbacks)
    [frame] = room.frames()
    assert frame["session"]["facilitator"] is None


def test_an_erased_facilitator_leaves_no_row_behind(client_for, lead, live_session, django_capture_on_commit_callbacks):
    lead_id = lead.pk
    erase(client_for, lead, django_capture_on_commit_callbacks)
    assert rows_referring_to(user_id=lead_id) == {}


def test_sessions_someone_else_facilitates_go_on(client_for, lead, teammate, team, django_capture_on_commit_callbacks):
    session = GroupSessionFactory(team=team, started_by=lead, facilitator=teammate)
    erase(client_for, lead, django_capture_on_commit_callbacks)
    session.refresh_from_db()
    assert (session.phase, session.version, session.facilitator) == ("lobby", 1, teammate)


def test_ending_someones_facilitated_sessions_leaves_ended_ones_alone(lead, team):
    ended = GroupSessionFactory(team=team, started_by=lead, facilitator=lead, phase="ended")
    assert facilitated_sessions_end(user=lead) == []
    ended.refresh_from_db()
    assert ended.version == 1


# Claims


@pytest.fixture
def claimed(member, teammate, team):
    """The teammate's problem, which the member said "leave it with me" to."""
    orphan, _ = orphan_post(user=teammate, team_id=team.pk, title="the flaky build", client_id=uuid.uuid4())
    return orphan_claim(user=member, orphan_id=orphan.pk)


def releases_it_by_hand_then_is_erased(client_for, member, orphan, capture):
    orphan_release(user=member, orphan_id=orphan.pk)
    erase(client_for, member, capture)


def is_erased_holding_it(client_for, member, orphan, capture):
    erase(client_for, member, capture)


CLAIM_ENDINGS = pytest.mark.parametrize("how", [releases_it_by_hand_then_is_erased, is_erased_holding_it])


@CLAIM_ENDINGS
def test_the_claim_goes_back_to_the_team(client_for, member, claimed, django_capture_on_commit_callbacks, how):
    how(client_for, member, claimed, django_capture_on_commit_callbacks)
    orphan = Orphan.objects.get(pk=claimed.pk)
    assert (orphan.status, orphan.claimed_by, orphan.claimed_at) == (Orphan.Status.OPEN, None, None)
    assert orphan.last_activity_at > claimed.last_activity_at


@CLAIM_ENDINGS
def test_the_team_sees_the_same_activities_and_events(
    client_for, member, teammate, claimed, django_capture_on_commit_callbacks, how
):
    how(client_for, member, claimed, django_capture_on_commit_callbacks)
    assert list(Activity.objects.values_list("kind", "actor")) == [(Activity.Kind.POSTED, teammate.pk)]
    assert list(Event.objects.filter(user=teammate).values_list("type", flat=True)) == ["orphan.claimed"]


def test_an_erased_claimant_leaves_no_row_behind(client_for, member, claimed, django_capture_on_commit_callbacks):
    member_id = member.pk
    erase(client_for, member, django_capture_on_commit_callbacks)
    assert rows_referring_to(user_id=member_id) == {}


def test_handing_back_someones_claims_is_a_release_of_each(member, claimed):
    assert orphan_claims_release(user=member) == [claimed.pk]
    last = Activity.objects.filter(orphan=claimed).latest("created_at", "pk")
    assert (last.kind, last.actor) == (Activity.Kind.RELEASED, member)


def test_claims_are_handed_back_from_a_team_one_has_left(member, claimed):
    Membership.objects.filter(user=member).delete()
    assert orphan_claims_release(user=member) == [claimed.pk]
    assert Orphan.objects.get(pk=claimed.pk).status == Orphan.Status.OPEN


def test_handing_back_leaves_done_orphans_and_others_claims_alone(member, teammate, team, claimed):
    theirs, _ = orphan_post(user=member, team_id=team.pk, title="the printer", client_id=uuid.uuid4())
    orphan_claim(user=teammate, orphan_id=theirs.pk)
    assert orphan_claims_release(user=member) == [claimed.pk]
    assert Orphan.objects.get(pk=theirs.pk).claimed_by == teammate


def test_an_erased_persons_address_leaves_invitations_and_the_audit_log(
    client_for, member, team, django_capture_on_commit_callbacks
):
    admin = OrganisationAdminFactory(user__organisation=team.organisation).user
    InvitationFactory(team=team, email=member.email)
    audit_record(
        organisation_id=team.organisation_id,
        actor=admin,
        action="membership.removed",
        subject=f"{member.email} in {team.name}",
    )
    erase(client_for, member, django_capture_on_commit_callbacks)
    assert not Invitation.objects.filter(email=member.email).exists()
    assert AuditEntry.objects.get().subject == f"(erased) in {team.name}"
