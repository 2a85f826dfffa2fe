"""Who is in a team: invitations by email, roles, removal and leaving, each in the audit log."""

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import close_old_connections, connections
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.models import User
from administration.factories import OrganisationAdminFactory
from administration.models import AuditEntry
from agreements.factories import AgreementFactory, VersionFactory
from agreements.models import Agreement
from common.errors import NotFound
from group_sessions.factories import GroupSessionFactory
from group_sessions.services import session_advance
from teams.factories import InvitationFactory, MembershipFactory
from teams.models import Invitation, Membership
from tests import firebase_tokens
from tests.conftest import error_codes
from tests.test_authorization_matrix import firebase  # noqa: F401 (fixture)
from tests.test_query_counts import grows_flat

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(http\S+/invitations/)(\S+)")


@pytest.fixture
def org_admin(organisation):
    return OrganisationAdminFactory(user__organisation=organisation).user


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """POSTs an invitation as `client`; the mail goes out as it would on commit."""

    def send(client, team, email, role="member"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/api/v1/teams/{team.pk}/invitations", {"email": email, "role": role}, format="json")

    return send


def mailed_token(email: str) -> str:
    """The token in the last invitation mailed to this address."""
    sent = [message for message in mail.outbox if message.to == [email]]
    assert sent, f"nothing mailed to {email}"
    return LINK.search(sent[-1].body).group(2)


def accept(client, token):
    return client.post("/api/v1/invitations/accept", {"token": token}, format="json")


def audit(action: str) -> list[tuple]:
    return list(AuditEntry.objects.filter(action=action).values_list("actor_id", "subject", "detail"))


# Invitations


def test_a_lead_invites_by_email_and_the_link_goes_by_mail_never_in_the_answer(
    client_for, lead, team, invite, settings
):
    response = invite(client_for(lead), team, "New.Person@Example.test", "lead")

    assert response.status_code == 201
    token = mailed_token("new.person@example.test")
    assert mail.outbox[-1].body.count(f"{settings.INVITATION_LINK_BASE}{token}") == 1
    assert token not in response.content.decode()
    body = response.json()
    assert (body["email"], body["role"], body["invited_by"]["id"]) == ("new.person@example.test", "lead", lead.pk)
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)


def test_an_invitation_lives_as_many_days_as_configured(client_for, lead, team, invite, settings):
    settings.INVITATION_DAYS = 2
    invite(client_for(lead), team, "sam@example.test")
    assert Invitation.objects.get().expires_at - timezone.now() <= timedelta(days=2)


def test_an_organisation_admin_invites_to_any_team_of_the_organisation(client_for, org_admin, team, invite):
    response = invite(client_for(org_admin), team, "sam@example.test")
    assert response.status_code == 201
    assert audit("invitation.sent") == [(org_admin.pk, f"sam@example.test in {team.name}", {"role": "member"})]


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("member", 403, "not_team_lead"),
        ("colleague", 404, "team_not_found"),
        ("coach", 404, "team_not_found"),
        ("outsider", 404, "team_not_found"),
        ("another_organisations_admin", 404, "team_not_found"),
    ],
)
def test_only_the_teams_leads_and_the_organisations_admins_invite(client_for, team, invite, request, who, status, code):
    person = OrganisationAdminFactory().user if who == "another_organisations_admin" else request.getfixturevalue(who)
    response = invite(client_for(person), team, "sam@example.test")
    assert (response.status_code, error_codes(response)) == (status, [(None, code)])
    assert not Invitation.objects.exists() and not mail.outbox and not AuditEntry.objects.exists()


def test_someone_of_another_organisation_cannot_be_invited(client_for, lead, team, outsider, invite):
    response = invite(client_for(lead), team, outsider.email.upper())
    assert (response.status_code, error_codes(response)) == (400, [("email", "another_organisation")])
    assert not Invitation.objects.exists() and not mail.outbox


def test_someone_in_the_team_already_is_not_invited_again(client_for, lead, member, team, invite):
    response = invite(client_for(lead), team, member.email)
    assert (response.status_code, error_codes(response)) == (409, [(None, "already_in_team")])


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "not-an-email",
        "sam@",
        "x" * 250 + "@example.test",
        "sam@" + "a" * 300 + ".test",
        "ｓａｍ@example.test",  # fullwidth letters
        "sam\u200b@example.test",  # a zero-width space
        "sam@exam\u202eple.test",  # right-to-left override
        "١٢٣@example.test",  # Arabic-Indic digits
        "sam@example.test\nBcc: all@example.test",
        12345,
        None,
        ["sam@example.test"],
        {"email": "sam@example.test"},
    ],
)
def test_nonsense_emails_are_refused_and_nothing_is_sent(client_for, lead, team, invite, email):
    response = invite(client_for(lead), team, email)
    assert response.status_code == 400
    assert {attr for attr, _ in error_codes(response)} == {"email"}
    assert not Invitation.objects.exists() and not mail.outbox and not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", ["owner", "", "LEAD", 1, None, ["lead"]])
def test_a_role_is_member_or_lead(client_for, lead, team, invite, role):
    response = invite(client_for(lead), team, "sam@example.test", role)
    assert response.status_code == 400
    assert {attr for attr, _ in error_codes(response)} == {"role"}
    assert not Invitation.objects.exists()


def test_inviting_the_same_email_again_replaces_the_first_link(client_for, lead, team, invite):
    invite(client_for(lead), team, "sam@example.test")
    first = mailed_token("sam@example.test")
    invite(client_for(lead), team, "SAM@example.test", "lead")
    second = mailed_token("sam@example.test")
    sam = UserFactory(email="sam@example.test", organisation=team.organisation)

    assert error_codes(accept(client_for(sam), first)) == [(None, "invitation_revoked")]
    assert accept(client_for(sam), second).status_code == 200
    assert Membership.objects.get(team=team, user=sam).role == "lead"


def test_the_invitee_accepts_and_joins_in_the_role_whatever_the_case_of_their_email(client_for, lead, team, invite):
    invite(client_for(lead), team, "Sam@Example.test", "lead")
    sam = UserFactory(email="sAm@example.TEST", organisation=team.organisation)

    response = accept(client_for(sam), mailed_token("sam@example.test"))

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["my_role"]) == (team.pk, "lead")
    assert audit("invitation.accepted") == [(sam.pk, f"sam@example.test in {team.name}", {"role": "lead"})]
    assert Invitation.objects.get().accepted_by == sam


def test_someone_of_no_organisation_yet_joins_the_teams_organisation(client_for, team):
    InvitationFactory(team=team, email="sam@example.test", token="t0ken")
    sam = UserFactory(email="sam@example.test", organisation=None)
    assert accept(client_for(sam), "t0ken").status_code == 200
    sam.refresh_from_db()
    assert sam.organisation == team.organisation


def test_a_link_works_once_and_a_repeat_by_its_invitee_is_a_retry(client_for, team):
    InvitationFactory(team=team, email="sam@example.test", token="t0ken")
    sam = UserFactory(email="sam@example.test", organisation=team.organisation)
    assert [accept(client_for(sam), "t0ken").status_code for _ in range(2)] == [200, 200]
    assert len(audit("invitation.accepted")) == 1
    Membership.objects.filter(user=sam).delete()  # left since: the used link does not bring them back
    assert error_codes(accept(client_for(sam), "t0ken")) == [(None, "invitation_used")]


@pytest.mark.parametrize("token", ["t0ken-tampered", "T0KEN", "", " ", "x" * 5000, "٣", "\u0000"])
def test_an_unknown_or_tampered_token_is_refused(client_for, team, token):
    InvitationFactory(team=team, email="sam@example.test", token="t0ken")
    sam = UserFactory(email="sam@example.test", organisation=team.organisation)
    response = accept(client_for(sam), token)
    assert response.status_code in (400, 404)
    assert response.status_code == 400 or error_codes(response) == [(None, "invitation_not_found")]
    assert not Membership.objects.filter(user=sam).exists()


def test_an_expired_invitation_is_refused(client_for, team):
    InvitationFactory(team=team, email="sam@example.test", token="t0ken", expires_at=timezone.now())
    sam = UserFactory(email="sam@example.test", organisation=team.organisation)
    response = accept(client_for(sam), "t0ken")
    assert (response.status_code, error_codes(response)) == (409, [(None, "invitation_expired")])
    assert not Membership.objects.filter(user=sam).exists()


def test_an_invitation_is_for_the_person_it_was_sent_to_only(client_for, team, colleague):
    InvitationFactory(team=team, email="sam@example.test", token="t0ken")
    response = accept(client_for(colleague), "t0ken")
    assert (response.status_code, error_codes(response)) == (403, [(None, "invitation_not_yours")])
    assert not Membership.objects.filter(team=team, user=colleague).exists()
    assert Invitation.objects.get().accepted_at is None


def test_a_person_of_another_organisation_cannot_accept(client_for, team, outsider):
    InvitationFactory(team=team, email=outsider.email, token="t0ken")
    response = accept(client_for(outsider), "t0ken")
    assert (response.status_code, error_codes(response)) == (403, [(None, "another_organisation")])
    assert not Membership.objects.filter(team=team, user=outsider).exists()


def test_a_coach_of_the_organisation_cannot_join_by_invitation(client_for, team, coach):
    InvitationFactory(team=team, email=coach.email, token="t0ken")
    response = accept(client_for(coach), "t0ken")
    assert (response.status_code, error_codes(response)) == (403, [(None, "coach_cannot_join")])
    assert Invitation.objects.get().accepted_at is None


def test_accepting_takes_a_signed_in_person(anonymous, team):
    InvitationFactory(team=team, email="sam@example.test", token="t0ken")
    assert accept(anonymous, "t0ken").status_code == 401


def test_the_lead_sees_the_pending_invitations(client_for, lead, team):
    pending = InvitationFactory(team=team, invited_by=lead, email="sam@example.test", role="lead")
    InvitationFactory(team=team, email="used@example.test", accepted_at=timezone.now())
    InvitationFactory(team=team, email="revoked@example.test", revoked_at=timezone.now())
    InvitationFactory(team=team, email="expired@example.test", expires_at=timezone.now())
    InvitationFactory(email="elsewhere@example.test")

    response = client_for(lead).get(f"/api/v1/teams/{team.pk}/invitations")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": pending.pk,
            "email": "sam@example.test",
            "role": "lead",
            "invited_by": {"id": lead.pk, "display_name": lead.display_name},
            "created_at": pending.created_at.isoformat().replace("+00:00", "Z"),
            "expires_at": pending.expires_at.isoformat().replace("+00:00", "Z"),
        }
    ]
    assert pending.token_hash not in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("outsider", 404), ("coach", 404), ("org_admin", 200)])
def test_pending_invitations_are_for_the_teams_leads_and_the_organisations_admins(
    client_for, team, request, who, status
):
    InvitationFactory(team=team)
    assert client_for(request.getfixturevalue(who)).get(f"/api/v1/teams/{team.pk}/invitations").status_code == status


def test_reading_the_invitations_costs_the_same_whatever_their_number(client_for, lead, team):
    grows_flat(
        client_for(lead),
        f"/api/v1/teams/{team.pk}/invitations",
        lambda n: InvitationFactory.create_batch(n, team=team, invited_by=MembershipFactory(team=team).user),
        5,
    )


def test_a_lead_takes_an_invitation_back_and_its_link_stops_working(client_for, lead, team):
    invitation = InvitationFactory(team=team, email="sam@example.test", token="t0ken")
    sam = UserFactory(email="sam@example.test", organisation=team.organisation)

    assert client_for(lead).delete(f"/api/v1/invitations/{invitation.pk}").status_code == 204
    assert client_for(lead).delete(f"/api/v1/invitations/{invitation.pk}").status_code == 204  # again: harmless

    assert error_codes(accept(client_for(sam), "t0ken")) == [(None, "invitation_revoked")]
    assert audit("invitation.revoked") == [(lead.pk, f"sam@example.test in {team.name}", {"role": "member"})]


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("member", 403, "not_team_lead"),
        ("colleague", 404, "invitation_not_found"),
        ("outsider", 404, "invitation_not_found"),
    ],
)
def test_only_the_teams_leads_and_admins_take_an_invitation_back(client_for, team, request, who, status, code):
    invitation = InvitationFactory(team=team)
    response = client_for(request.getfixturevalue(who)).delete(f"/api/v1/invitations/{invitation.pk}")
    assert (response.status_code, error_codes(response)) == (status, [(None, code)])
    assert Invitation.objects.get().revoked_at is None


def test_an_accepted_invitation_cannot_be_taken_back(client_for, lead, team):
    invitation = InvitationFactory(team=team, accepted_at=timezone.now())
    response = client_for(lead).delete(f"/api/v1/invitations/{invitation.pk}")
    assert (response.status_code, error_codes(response)) == (409, [(None, "invitation_used")])


def test_an_unknown_invitation_id_is_not_found(client_for, lead):
    response = client_for(lead).delete("/api/v1/invitations/999999999")
    assert error_codes(response) == [(None, "invitation_not_found")]


# Someone invited who has no account yet


def test_an_invitation_opens_firebase_sign_up_where_the_domain_is_closed(anonymous, client_for, team, firebase):
    InvitationFactory(team=team, email="sam@closed.example", token="t0ken")
    id_token = firebase_tokens.id_token(uid="fb-invited", email="Sam@closed.example")

    assert anonymous.post("/api/v1/auth/firebase", {"id_token": id_token}, format="json").status_code == 200

    sam = User.objects.get(firebase_uid="fb-invited")
    assert sam.organisation == team.organisation
    assert accept(client_for(sam), "t0ken").status_code == 200


def test_a_revoked_invitation_opens_nothing(anonymous, team, firebase):
    InvitationFactory(team=team, email="sam@closed.example", revoked_at=timezone.now())
    id_token = firebase_tokens.id_token(uid="fb-revoked", email="sam@closed.example")
    response = anonymous.post("/api/v1/auth/firebase", {"id_token": id_token}, format="json")
    assert error_codes(response) == [(None, "signup_not_allowed")]
    assert not User.objects.filter(firebase_uid="fb-revoked").exists()


# Roles


def test_a_lead_makes_a_member_lead(client_for, lead, member, team):
    response = client_for(lead).patch(f"/api/v1/teams/{team.pk}/members/{member.pk}", {"role": "lead"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": member.pk, "display_name": member.display_name, "role": "lead"}
    assert audit("membership.role_changed") == [(lead.pk, f"{member.email} in {team.name}", {"role": "lead"})]


def test_an_organisation_admin_changes_roles_in_any_team_of_the_organisation(client_for, org_admin, lead, team):
    MembershipFactory(team=team, role="lead")
    response = client_for(org_admin).patch(
        f"/api/v1/teams/{team.pk}/members/{lead.pk}", {"role": "member"}, format="json"
    )
    assert response.status_code == 200
    assert Membership.objects.get(team=team, user=lead).role == "member"


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("member", 403, "not_team_lead"), ("colleague", 404, "team_not_found"), ("outsider", 404, "team_not_found")],
)
def test_only_the_teams_leads_and_admins_change_roles(client_for, team, teammate, request, who, status, code):
    person = request.getfixturevalue(who)
    response = client_for(person).patch(
        f"/api/v1/teams/{team.pk}/members/{teammate.pk}", {"role": "lead"}, format="json"
    )
    assert (response.status_code, error_codes(response)) == (status, [(None, code)])
    assert Membership.objects.get(team=team, user=teammate).role == "member"


def test_the_last_lead_cannot_step_down_until_someone_else_leads(client_for, lead, member, team):
    client = client_for(lead)
    response = client.patch(f"/api/v1/teams/{team.pk}/members/{lead.pk}", {"role": "member"}, format="json")
    assert (response.status_code, error_codes(response)) == (409, [(None, "last_lead")])
    assert not AuditEntry.objects.exists()

    client.patch(f"/api/v1/teams/{team.pk}/members/{member.pk}", {"role": "lead"}, format="json")
    response = client.patch(f"/api/v1/teams/{team.pk}/members/{lead.pk}", {"role": "member"}, format="json")
    assert response.status_code == 200


def test_the_role_of_someone_outside_the_team_is_not_found(client_for, lead, team, colleague):
    for user_id in (colleague.pk, 999999999):
        response = client_for(lead).patch(f"/api/v1/teams/{team.pk}/members/{user_id}", {"role": "lead"}, format="json")
        assert error_codes(response) == [(None, "member_not_found")]


@pytest.mark.parametrize("body", [{}, {"role": "boss"}, {"role": None}, {"role": "ｌｅａｄ"}, {"role": "x" * 10000}])
def test_nonsense_roles_are_refused(client_for, lead, member, team, body):
    response = client_for(lead).patch(f"/api/v1/teams/{team.pk}/members/{member.pk}", body, format="json")
    assert response.status_code == 400
    assert Membership.objects.get(team=team, user=member).role == "member"


# Removal and leaving


def test_a_lead_removes_a_member(client_for, lead, member, team):
    assert client_for(lead).delete(f"/api/v1/teams/{team.pk}/members/{member.pk}").status_code == 204
    assert not Membership.objects.filter(team=team, user=member).exists()
    assert audit("membership.removed") == [(lead.pk, f"{member.email} in {team.name}", {"role": "member"})]


def test_an_organisation_admin_removes_someone(client_for, org_admin, member, team):
    assert client_for(org_admin).delete(f"/api/v1/teams/{team.pk}/members/{member.pk}").status_code == 204
    assert not Membership.objects.filter(team=team, user=member).exists()


def test_a_member_cannot_remove_a_teammate(client_for, member, teammate, team):
    response = client_for(member).delete(f"/api/v1/teams/{team.pk}/members/{teammate.pk}")
    assert (response.status_code, error_codes(response)) == (403, [(None, "not_team_lead")])
    assert Membership.objects.filter(team=team, user=teammate).exists()


@pytest.mark.parametrize("how", ["leave", "remove oneself"])
def test_a_member_leaves(client_for, member, team, how):
    client = client_for(member)
    if how == "leave":
        response = client.post(f"/api/v1/teams/{team.pk}/leave")
    else:
        response = client.delete(f"/api/v1/teams/{team.pk}/members/{member.pk}")
    assert response.status_code == 204
    assert not Membership.objects.filter(team=team, user=member).exists()
    assert audit("membership.left") == [(member.pk, f"{member.email} in {team.name}", {"role": "member"})]


def test_the_last_lead_cannot_leave_people_without_a_lead(client_for, lead, member, org_admin, team):
    response = client_for(lead).post(f"/api/v1/teams/{team.pk}/leave")
    assert (response.status_code, error_codes(response)) == (409, [(None, "last_lead")])
    response = client_for(org_admin).delete(f"/api/v1/teams/{team.pk}/members/{lead.pk}")
    assert (response.status_code, error_codes(response)) == (409, [(None, "last_lead")])
    assert Membership.objects.filter(team=team, user=lead).exists() and not AuditEntry.objects.exists()

    client_for(org_admin).patch(f"/api/v1/teams/{team.pk}/members/{member.pk}", {"role": "lead"}, format="json")
    assert client_for(lead).post(f"/api/v1/teams/{team.pk}/leave").status_code == 204


def test_a_lead_alone_in_the_team_may_leave_it(client_for, lead, team):
    assert client_for(lead).post(f"/api/v1/teams/{team.pk}/leave").status_code == 204


def test_leaving_a_team_one_is_not_in_is_not_found(client_for, colleague, outsider, team):
    for person in (colleague, outsider):
        response = client_for(person).post(f"/api/v1/teams/{team.pk}/leave")
        assert error_codes(response) == [(None, "team_not_found")]


def test_a_member_who_leaves_no_longer_sees_the_teams_feed_or_agreements(client_for, member, team):
    agreement = AgreementFactory(team=team, created_by=member, kind=Agreement.Kind.WORKING_NORM)
    VersionFactory(agreement=agreement, number=1)
    client = client_for(member)
    assert client.get(f"/api/v1/teams/{team.pk}/feed").status_code == 200
    assert client.get(f"/api/v1/agreements/{agreement.pk}").status_code == 200

    client.post(f"/api/v1/teams/{team.pk}/leave")

    assert client.get(f"/api/v1/teams/{team.pk}/feed").status_code == 404
    assert agreement.pk not in {row["id"] for row in client.get(f"/api/v1/teams/{team.pk}/agreements").json()}
    assert client.get(f"/api/v1/agreements/{agreement.pk}").status_code == 404
    assert client.get(f"/api/v1/teams/{team.pk}").status_code == 404


def test_someone_removed_mid_session_cannot_command_it_any_more(client_for, lead, member, team):
    session = GroupSessionFactory(team=team, started_by=lead, facilitator=member)
    session = session_advance(user=member, session_id=session.pk, version=session.version)

    client_for(lead).delete(f"/api/v1/teams/{team.pk}/members/{member.pk}")

    with pytest.raises(NotFound) as refused:
        session_advance(user=member, session_id=session.pk, version=session.version)
    assert refused.value.code == "session_not_found"


def test_the_audit_log_says_who_did_what_to_whom_and_nothing_else(client_for, lead, member, team, invite):
    invite(client_for(lead), team, "sam@example.test")
    client_for(lead).patch(f"/api/v1/teams/{team.pk}/members/{member.pk}", {"role": "lead"}, format="json")
    client_for(member).post(f"/api/v1/teams/{team.pk}/leave")

    entries = AuditEntry.objects.order_by("pk")
    assert [entry.action for entry in entries] == ["invitation.sent", "membership.role_changed", "membership.left"]
    assert {entry.organisation_id for entry in entries} == {team.organisation_id}
    assert all(set(entry.detail) == {"role"} for entry in entries)


# At the same moment


@pytest.mark.django_db(transaction=True)
def test_two_accepts_of_one_link_at_once_join_once(client_for, team):
    InvitationFactory(team=team, email="sam@example.test", token="t0ken")
    sam = UserFactory(email="sam@example.test", organisation=None)
    barrier, statuses = threading.Barrier(2), []

    def accept_now():
        try:
            barrier.wait(timeout=10)
            statuses.append(accept(client_for(sam), "t0ken").status_code)
        finally:
            close_old_connections()
            connections.close_all()

    threads = [threading.Thread(target=accept_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200, 200]
    assert Membership.objects.filter(team=team, user=sam).count() == 1
    assert AuditEntry.objects.filter(action="invitation.accepted").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_leads_stepping_down_at_once_leave_the_team_a_lead(client_for, team, member):
    first, second = (MembershipFactory(team=team, role="lead").user for _ in range(2))
    barrier, statuses = threading.Barrier(2), []

    def step_down(lead):
        try:
            barrier.wait(timeout=10)
            path = f"/api/v1/teams/{team.pk}/members/{lead.pk}"
            statuses.append(client_for(lead).patch(path, {"role": "member"}, format="json").status_code)
        finally:
            close_old_connections()
            connections.close_all()

    threads = [threading.Thread(target=step_down, args=(lead,)) for lead in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200, 409]
    assert Membership.objects.filter(team=team, role="lead").count() == 1
