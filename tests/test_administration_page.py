"""The organisation admins' web page, beside the coaches' dashboard: the same administration as
the API, in forms; refusals say why in the page and in the status; nothing private on it."""

import pytest
from django.test import Client

from accounts.factories import UserFactory
from acknowledgements.factories import AcknowledgementFactory
from administration.factories import OrganisationAdminFactory
from administration.models import AuditEntry
from exercises.factories import ThemeFactory
from exercises.models import WithheldTheme
from reflections.factories import ReflectionFactory
from teams.factories import MembershipFactory
from teams.models import CoachAssignment, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return OrganisationAdminFactory(user__organisation=organisation).user


def browser_of(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def page(organisation) -> str:
    return f"/coach/organisations/{organisation.pk}/admin/"


def test_an_admin_sees_the_organisations_teams_coaches_admins_and_audit(admin, organisation, team, lead):
    coach = UserFactory(organisation=None, email="casey@coaching.example")
    CoachAssignment.objects.create(coach=coach, organisation=organisation)
    response = browser_of(admin).get(page(organisation))
    assert response.status_code == 200
    html = response.content.decode()
    for shown in (organisation.name, team.name, lead.email, coach.email, admin.email, "Audit log"):
        assert shown in html


def test_the_page_shows_nobodys_words(admin, organisation, member):
    ReflectionFactory(author=member, body="SECRET reflection words")
    AcknowledgementFactory(sender=member, message="SECRET thanks")
    html = browser_of(admin).get(page(organisation)).content.decode()
    assert "SECRET" not in html


def test_an_admin_creates_a_team_on_the_page_and_it_is_audited(admin, organisation):
    response = browser_of(admin).post(page(organisation), {"action": "team_create", "name": "Platform"})
    assert (response.status_code, response["Location"]) == (302, page(organisation))
    assert Team.objects.filter(organisation=organisation, name="Platform").exists()
    assert AuditEntry.objects.get().action == "team.created"


def test_an_admin_saves_the_settings_on_the_page(admin, organisation):
    ThemeFactory(slug="kept", name="Kept")
    ThemeFactory(slug="withheld", name="Withheld")
    response = browser_of(admin).post(
        page(organisation),
        {
            "action": "settings",
            "name": "Acme",
            "domains": "acme.example\nteam.acme.example",
            "allow_domain_signup": "on",
            "k": "6",
            "themes_offered": ["kept"],
        },
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert (organisation.name, organisation.anonymity_threshold, organisation.allow_domain_signup) == ("Acme", 6, True)
    assert sorted(organisation.domains.values_list("domain", flat=True)) == ["acme.example", "team.acme.example"]
    assert list(WithheldTheme.objects.values_list("theme__slug", flat=True)) == ["withheld"]


@pytest.mark.parametrize("k", ["2", "٥", "-3", "9" * 40, "three"])
def test_a_k_the_page_cannot_take_is_refused_with_why_and_nothing_changes(admin, organisation, k):
    before = organisation.anonymity_threshold
    response = browser_of(admin).post(page(organisation), {"action": "settings", "name": "Acme", "k": k})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    organisation.refresh_from_db()
    assert (organisation.anonymity_threshold, organisation.name) == (before, organisation.name)
    assert not AuditEntry.objects.exists()


def test_assigning_someone_who_is_no_coach_is_refused_on_the_page(admin, organisation, member):
    response = browser_of(admin).post(page(organisation), {"action": "coach_assign", "email": member.email})
    assert response.status_code == 404
    assert "No coach has that email." in response.content.decode()


def test_the_last_admin_cannot_step_down_on_the_page(admin, organisation):
    response = browser_of(admin).post(page(organisation), {"action": "admin_remove", "admin": str(admin.pk)})
    assert response.status_code == 409


def test_an_unknown_action_is_refused(admin, organisation):
    assert browser_of(admin).post(page(organisation), {"action": "drop_tables"}).status_code == 400


def test_the_forms_need_their_csrf_token(admin, organisation):
    response = browser_of(admin, csrf=True).post(page(organisation), {"action": "team_create", "name": "Platform"})
    assert response.status_code == 403
    assert not Team.objects.filter(name="Platform").exists()


def test_the_organisations_other_people_are_refused_with_a_page_saying_why(organisation, lead):
    response = browser_of(lead).get(page(organisation))
    assert response.status_code == 403
    assert "admins manage it." in response.content.decode()


def test_an_admin_of_another_organisation_finds_nothing_here(organisation):
    elsewhere = OrganisationAdminFactory().user
    response = browser_of(elsewhere).post(page(organisation), {"action": "team_create", "name": "Mine"})
    assert response.status_code == 404
    assert not Team.objects.filter(name="Mine").exists()


def test_signed_out_the_page_asks_to_sign_in(organisation):
    response = Client().get(page(organisation))
    assert response.status_code == 302 and response["Location"].startswith("/coach/sign-in/")


def test_an_admin_invites_someone_to_a_team_from_the_page(
    admin, organisation, team, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = browser_of(admin).post(
            page(organisation), {"action": "invite", "team": str(team.pk), "email": "new@example.com", "role": "lead"}
        )
    assert response.status_code == 302
    assert mailoutbox[-1].to == ["new@example.com"]
    assert AuditEntry.objects.get().action == "invitation.sent"


def test_an_admin_makes_a_member_a_lead_from_the_page(admin, organisation, team, member):
    response = browser_of(admin).post(
        page(organisation), {"action": "role_change", "team": str(team.pk), "person": str(member.pk), "role": "lead"}
    )
    assert response.status_code == 302
    assert member.memberships.get().role == "lead"


def test_an_admin_removes_someone_from_a_team_on_the_page(admin, organisation, team, member):
    response = browser_of(admin).post(
        page(organisation), {"action": "member_remove", "team": str(team.pk), "person": str(member.pk)}
    )
    assert response.status_code == 302
    assert not member.memberships.exists()


def test_an_admin_archives_a_team_from_the_page(admin, organisation, team, member):
    response = browser_of(admin).post(page(organisation), {"action": "team_archive", "team": str(team.pk)})
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.archived_at is not None and not member.memberships.exists()
    assert "(archived)" in browser_of(admin).get(page(organisation)).content.decode()


def test_a_team_of_another_organisation_cannot_be_managed_from_this_page(admin, organisation):
    elsewhere = MembershipFactory().team
    response = browser_of(admin).post(
        page(organisation), {"action": "invite", "team": str(elsewhere.pk), "email": "x@example.com", "role": "member"}
    )
    assert response.status_code == 404
