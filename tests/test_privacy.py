"""Privacy rights: a person can take everything out, and can erase it all."""

import json
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.factories import DEFAULT_PASSWORD
from accounts.models import User
from acknowledgements.factories import AcknowledgementFactory, ReactionFactory
from acknowledgements.models import Acknowledgement
from administration.factories import OrganisationAdminFactory
from administration.services import audit_record
from chat.factories import ChannelFactory
from commitments.services import commitment_make
from exercises.factories import RunFactory
from group_sessions.factories import ConnectionFactory, GroupSessionFactory
from group_sessions.models import GroupSession, Share
from insights.models import TeamWeek
from nudges.models import Device, Nudge
from orphans.models import Orphan
from orphans.services import orphan_claim, orphan_post
from pairs.factories import PairFactory
from pairs.models import PairAnswer
from privacy.services import rows_referring_to
from privacy.tasks import carry_out_erasures
from reflections.factories import ReflectionFactory
from reflections.models import Reflection
from teams.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def a_full_life(person, teammate, team):
    """Something of every kind, by or about this person."""
    ReflectionFactory(author=person, body="my own private words")
    RunFactory(user=person)
    AcknowledgementFactory(sender=person, recipient=teammate)
    received = AcknowledgementFactory(sender=teammate, recipient=person)
    ReactionFactory(acknowledgement=received, user=person)
    Device.objects.create(user=person, token=f"token-{person.pk}", platform="ios")
    Nudge.objects.create(user=person, kind="seen", dedupe_key=f"seen:{person.pk}", due_at="2026-01-01T10:00Z")
    session = GroupSessionFactory(team=team, started_by=teammate, facilitator=teammate)
    ConnectionFactory(session=session, user=person)
    Share.objects.create(session=session, step=1, author=person, text="said in the room")
    orphan_post(user=person, team_id=team.pk, title="mine to post", client_id=uuid.uuid4())
    commitment_make(user=person, team_id=team.pk, text="I'll write it up by Friday", client_id=uuid.uuid4())
    pair = PairFactory(inviter=person, partner=teammate, status="active")
    PairAnswer.objects.create(pair=pair, step=2, author=person, text="said to one colleague")


def erase(client) -> None:
    """Erasure as it happens: asked for with the password, carried out by the worker once due."""
    response = client.delete("/api/v1/me", {"password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 202
    with time_machine.travel(timezone.now() + timedelta(days=settings.ERASURE_GRACE_DAYS, seconds=1)):
        assert carry_out_erasures.call() == 1


def test_the_export_holds_my_reflections_decrypted(client_for, member):
    ReflectionFactory(author=member, body="what I wrote last night")
    body = client_for(member).get("/api/v1/me/export").json()
    assert [r["body"] for r in body["reflections"]] == ["what I wrote last night"]


def test_the_export_holds_everything_about_me(client_for, member, teammate, team):
    a_full_life(member, teammate, team)
    body = client_for(member).get("/api/v1/me/export").json()
    assert body["profile"]["email"] == member.email
    for part in (
        "runs",
        "acknowledgements_sent",
        "acknowledgements_received",
        "reactions",
        "devices",
        "nudges",
        "session_answers",
        "orphans_posted",
        "memberships",
        "pairs",
        "pair_answers",
        "commitments",
    ):
        assert len(body[part]) >= 1, part


def test_the_export_holds_nothing_of_anyone_elses_private_words(client_for, member, teammate, team):
    ReflectionFactory(author=teammate, body="the teammate's secret")
    assert "the teammate's secret" not in client_for(member).get("/api/v1/me/export").content.decode()


def test_the_export_holds_my_pair_answers_and_not_my_partners(client_for, member, teammate):
    pair = PairFactory(inviter=teammate, partner=member, status="active")
    PairAnswer.objects.create(pair=pair, step=2, author=member, text="what I told them")
    PairAnswer.objects.create(pair=pair, step=2, author=teammate, text="what they told me")
    body = client_for(member).get("/api/v1/me/export").json()
    assert [p["id"] for p in body["pairs"]] == [pair.pk]
    assert [a["text"] for a in body["pair_answers"]] == ["what I told them"]


def test_an_export_is_not_for_anonymous(anonymous):
    assert anonymous.get("/api/v1/me/export").status_code == 401


def test_erasure_leaves_no_row_that_refers_to_the_person(client_for, member, teammate, team):
    a_full_life(member, teammate, team)
    member_id = member.pk
    erase(client_for(member))
    assert not User.objects.filter(pk=member_id).exists()
    assert rows_referring_to(user_id=member_id) == {}


def test_erasure_removes_what_they_wrote_and_what_was_written_to_them(client_for, member, teammate, team):
    a_full_life(member, teammate, team)
    erase(client_for(member))
    assert not Reflection.objects.filter(body_ciphertext__isnull=False, author_id=member.pk).exists()
    assert Acknowledgement.objects.count() == 0
    assert not Share.objects.filter(text="said in the room").exists()


def test_erasure_leaves_everyone_else_whole(client_for, member, teammate, team):
    ReflectionFactory(author=teammate)
    a_full_life(member, teammate, team)
    erase(client_for(member))
    assert Reflection.objects.filter(author=teammate).count() == 1
    assert GroupSession.objects.filter(started_by=teammate).exists()


def test_a_claim_held_by_someone_erased_goes_back_to_the_team(client_for, member, teammate, team):
    orphan, _ = orphan_post(user=teammate, team_id=team.pk, title="left behind", client_id=uuid.uuid4())
    orphan_claim(user=member, orphan_id=orphan.pk)
    erase(client_for(member))
    orphan.refresh_from_db()
    assert (orphan.status, orphan.claimed_by) == (Orphan.Status.OPEN, None)


def test_a_live_session_ends_when_its_facilitator_is_erased(client_for, lead, team):
    session = GroupSessionFactory(team=team, started_by=lead, facilitator=lead)
    erase(client_for(lead))
    session.refresh_from_db()
    assert (session.phase, session.facilitator) == (GroupSession.Phase.ENDED, None)


def test_insight_counts_survive_erasure(client_for, member, team):
    TeamWeek.objects.create(
        team=team, week_start="2026-03-02", members=6, figures={"active": {"value": 6, "people": 6}}
    )
    erase(client_for(member))
    assert TeamWeek.objects.get(team=team).figures["active"]["value"] == 6


def test_erased_tokens_no_longer_work(client_for, member):
    client = client_for(member)
    erase(client)
    assert client.get("/api/v1/me").status_code == 401


def test_erasure_is_not_for_anonymous(anonymous):
    assert anonymous.delete("/api/v1/me").status_code == 401


def test_the_export_holds_my_invitations_and_what_i_did_as_an_admin(client_for, member, team):
    InvitationFactory(team=team, email=member.email)
    OrganisationAdminFactory(user=member, organisation=team.organisation)
    audit_record(organisation_id=team.organisation_id, actor=member, action="team.created", subject="Platform")
    body = client_for(member).get("/api/v1/me/export").json()
    assert [row["email"] for row in body["invitations_received"]] == [member.email.lower()]
    assert "token_hash" not in body["invitations_received"][0]
    assert len(body["organisations_administered"]) == 1
    assert [row["subject"] for row in body["administration_done"]] == ["Platform"]


def test_the_export_never_holds_a_chat_channels_webhook(client_for, lead, team):
    ChannelFactory(team=team, connected_by=lead)
    body = client_for(lead).get("/api/v1/me/export").json()
    assert body["chat_channels_connected"] and "url_ciphertext" not in body["chat_channels_connected"][0]
    assert "hooks.slack.com/services" not in json.dumps(body)
