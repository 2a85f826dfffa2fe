"""The Django admin is for our staff only, and its lists of people show what an operator needs:
emails and ids, never display names or anything people wrote (reflections have no page at all:
tests/test_reflections.py)."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from accounts.factories import DEFAULT_PASSWORD, UserFactory
from accounts.models import User
from acknowledgements.factories import AcknowledgementFactory, ReportFactory
from administration.factories import OrganisationAdminFactory
from administration.models import AuditEntry
from insights.models import InsightView
from pairs.factories import PairFactory
from teams.factories import CoachAssignmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db
NAME = "Zebulon-Displayname"
WORDS = "SECRET-WORDS: thank you for the Tuesday rescue"
FREE_TEXT = {"display_name", "message", "text", "body", "reason", "note", "answer", "subject", "detail"}


def staff_browser(staff_admin) -> Client:
    client = Client()
    client.force_login(staff_admin)
    return client


def changelist(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


@pytest.fixture
def people_everywhere(organisation, team):
    """Someone named NAME in every role a list of the admin can show, and words they wrote."""
    person = UserFactory(organisation=organisation, display_name=NAME)
    MembershipFactory(team=team, user=person)
    CoachAssignmentFactory(organisation=organisation, coach=person)
    OrganisationAdminFactory(user=person)
    AuditEntry.objects.create(organisation=organisation, actor=person, action="team.created", subject=NAME)
    InsightView.objects.create(coach=person, organisation=organisation, weeks="2026-W10..2026-W11", format="json")
    PairFactory(inviter=person)
    ReportFactory(acknowledgement=AcknowledgementFactory(sender=person, message=WORDS), reason=WORDS)
    return person


# Staff only


def test_an_organisation_admin_who_is_not_staff_cannot_open_the_django_admin(organisation):
    admin_user = OrganisationAdminFactory(user__organisation=organisation).user
    client = Client()
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_organisation_admin_who_is_not_staff_cannot_sign_in_to_the_django_admin(organisation):
    admin_user = OrganisationAdminFactory(user__organisation=organisation).user
    client = Client()
    response = client.post("/admin/login/", {"username": admin_user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200  # the form again, as for a wrong password
    assert "_auth_user_id" not in client.session


def test_a_coach_who_is_not_staff_cannot_open_a_list_of_people(coach):
    client = Client()
    client.force_login(coach)
    assert client.get(changelist(User)).status_code == 302


def test_staff_open_the_admin(staff_admin):
    assert staff_browser(staff_admin).get("/admin/").status_code == 200


# What the lists show


def test_the_admins_user_list_shows_emails_and_access_not_names(staff_admin, people_everywhere):
    page = staff_browser(staff_admin).get(changelist(User)).content.decode()
    assert people_everywhere.email in page
    assert NAME not in page
    assert all(f"column-{name}" in page for name in ("email", "organisation", "is_active", "is_staff", "date_joined"))


def test_the_user_list_is_searched_by_email_not_by_name(staff_admin, people_everywhere):
    client = staff_browser(staff_admin)
    assert people_everywhere.email in client.get(changelist(User), {"q": people_everywhere.email}).content.decode()
    assert people_everywhere.email not in client.get(changelist(User), {"q": NAME}).content.decode()


def test_the_admins_acknowledgement_report_list_shows_no_message_text(staff_admin, people_everywhere):
    page = staff_browser(staff_admin).get("/admin/acknowledgements/report/").content.decode()
    assert WORDS not in page


def test_no_list_in_the_admin_shows_a_display_name_or_what_anyone_wrote(staff_admin, people_everywhere):
    client = staff_browser(staff_admin)
    for model in admin.site._registry:
        response = client.get(changelist(model))
        assert response.status_code == 200, changelist(model)
        page = response.content.decode()
        assert NAME not in page, f"{changelist(model)} shows a display name"
        assert WORDS not in page, f"{changelist(model)} shows what someone wrote"


def test_no_list_in_the_admin_is_searched_by_free_text():
    for model, model_admin in admin.site._registry.items():
        searched = {field.lstrip("^=@").split("__")[-1] for field in model_admin.search_fields}
        assert not searched & FREE_TEXT, f"{model.__name__} is searched by {searched & FREE_TEXT}"


def test_no_form_in_the_admin_offers_a_dropdown_of_everyone(staff_admin):
    """A person is picked by id (raw_id_fields), never from a list of every account's name."""
    request = RequestFactory().get("/admin/")
    request.user = staff_admin
    for model_admin in admin.site._registry.values():
        for each in [model_admin, *model_admin.get_inline_instances(request)]:
            if not each.has_change_permission(request):
                continue  # a page to read, with no form
            for field in each.model._meta.get_fields():
                picks_a_person = field.many_to_one or field.many_to_many
                if picks_a_person and field.related_model is User and field.editable and not field.auto_created:
                    if field.name in set(each.get_fields(request)) - set(each.get_readonly_fields(request)):
                        assert field.name in each.raw_id_fields, f"{each.model.__name__}.{field.name} is a dropdown"
