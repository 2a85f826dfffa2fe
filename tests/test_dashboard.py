"""The coaches' dashboard as a browser sees it: for coaches, said at sign-in; pages in HTML,
refusals too; a way out on every page; labels that say what a gap means; a favicon."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client

from accounts.factories import DEFAULT_PASSWORD, OrganisationFactory
from insights.services import insights_roll_up
from teams.factories import CoachAssignmentFactory, MembershipFactory, TeamFactory
from tests.conftest import embedded_insights

pytestmark = pytest.mark.django_db

AFTER = datetime(2026, 3, 20, 12, tzinfo=UTC)  # 2026-W10 and 2026-W11 are over
TWO_WEEKS = "from=2026-W10&to=2026-W11"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def is_a_page(response) -> bool:
    return response["Content-Type"].startswith("text/html") and "<html" in response.content.decode()


def has_a_way_out(response) -> bool:
    page = response.content.decode()
    return 'action="/coach/sign-out/"' in page and 'method="post"' in page


# For coaches, said at sign-in


def test_someone_who_is_not_a_coach_is_refused_at_sign_in_with_a_page_that_says_why(member):
    client = Client()
    response = client.post("/coach/sign-in/", {"username": member.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    assert is_a_page(response)
    assert "The dashboard is for coaches" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_at_the_dashboard_says_so(coach):
    response = Client().post("/coach/sign-in/", {"username": coach.email, "password": "nope"})
    assert response.status_code == 200
    assert "That email and password do not match an account." in response.content.decode()


def test_a_coach_signs_in(coach, organisation):
    response = Client().post("/coach/sign-in/", {"username": coach.email, "password": DEFAULT_PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/coach/")


@pytest.mark.parametrize("page", ["/coach/", "/coach/organisations/{id}/"])
def test_a_signed_in_non_coach_gets_a_page_not_json_and_a_way_out(member, organisation, page):
    response = signed_in(member).get(page.format(id=organisation.pk))
    assert response.status_code == 403
    assert is_a_page(response)
    assert "coach" in response.content.decode().split("<main>")[1]
    assert has_a_way_out(response)


def test_a_coach_of_another_organisation_gets_a_page_not_json(coach):
    elsewhere = OrganisationFactory()
    response = signed_in(coach).get(f"/coach/organisations/{elsewhere.pk}/")
    assert response.status_code == 403
    assert is_a_page(response)


def test_a_nonsense_week_gets_a_page_not_json(coach, organisation):
    response = signed_in(coach).get(f"/coach/organisations/{organisation.pk}/?from=yesterday")
    assert response.status_code == 400
    assert is_a_page(response)
    assert "ISO week" in response.content.decode()


# A way out on every page


def test_every_dashboard_page_has_a_sign_out(coach, organisation):
    other = OrganisationFactory()
    CoachAssignmentFactory(organisation=other, coach=coach)
    client = signed_in(coach)
    with time_machine.travel(AFTER, tick=False):
        pages = [client.get("/coach/"), client.get(f"/coach/organisations/{organisation.pk}/")]
    assert [response.status_code for response in pages] == [200, 200]
    assert all(has_a_way_out(response) for response in pages)


def test_signing_out_ends_the_session(coach):
    client = signed_in(coach)
    assert client.post("/coach/sign-out/")["Location"] == "/coach/sign-in/"
    assert client.get("/coach/")["Location"].startswith("/coach/sign-in/")


# Labels


def test_the_page_explains_both_labels(coach, organisation):
    with time_machine.travel(AFTER, tick=False):
        page = signed_in(coach).get(f"/coach/organisations/{organisation.pk}/").content.decode()
    assert "no data yet" in page and "suppressed" in page


# The figures the charts are drawn from


def test_the_page_embeds_the_very_table_the_api_serves(coach, organisation, client_for):
    team = TeamFactory(organisation=organisation, name="Herons")
    for _ in range(5):
        MembershipFactory(team=team)
    with time_machine.travel(AFTER, tick=False):
        insights_roll_up(week_start=date(2026, 3, 2))
        page = signed_in(coach).get(f"/coach/organisations/{organisation.pk}/?{TWO_WEEKS}").content.decode()
        api = client_for(coach).get(f"/api/v1/coach/organisations/{organisation.pk}/insights?{TWO_WEEKS}")
    assert embedded_insights(page) == api.json()


def test_a_team_name_cannot_end_the_element_the_table_is_embedded_in(coach, organisation):
    name = "</script><script>alert('&')</script>"
    TeamFactory(organisation=organisation, name=name)
    with time_machine.travel(AFTER, tick=False):
        page = signed_in(coach).get(f"/coach/organisations/{organisation.pk}/").content.decode()
    assert "<script>alert" not in page
    assert embedded_insights(page)["teams"][0]["name"] == name


# Favicon


def test_every_dashboard_page_links_a_favicon_that_is_served(coach):
    page = Client().get("/coach/sign-in/").content.decode()
    assert '<link rel="icon" href="/static/dashboard/favicon.svg"' in page
    icon = Client().get("/static/dashboard/favicon.svg")
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)


def test_favicon_ico_leads_to_the_icon_for_the_dashboard_and_the_admin():
    response = Client().get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (302, "/static/dashboard/favicon.svg")
