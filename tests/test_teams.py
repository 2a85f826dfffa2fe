"""Teams: the ones I am in, who is in one of them, and joining by code."""

import pytest

from accounts.factories import UserFactory
from teams.factories import MembershipFactory, TeamFactory
from teams.models import Membership
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

TEAMS = "/api/v1/teams"
JOIN = "/api/v1/teams/join"

# Nobody here is in the conftest team.
STRANGERS = ["colleague", "coach", "outsider", "staff_admin"]


def team_url(team_id):
    return f"/api/v1/teams/{team_id}"


def join(client, code):
    return client.post(JOIN, {"code": code}, format="json")


def by_id(response):
    return {item["id"]: item for item in response.json()["results"]}


# My teams


def test_my_teams_list_each_team_with_my_role_and_its_size(client_for, organisation, team, member, teammate, lead):
    other = TeamFactory(organisation=organisation, name="Platform")
    MembershipFactory(team=other, user=member, role=Membership.Role.LEAD)

    response = client_for(member).get(TEAMS)

    assert response.status_code == 200
    assert set(response.json()) == {"results", "next", "previous"}
    assert by_id(response) == {
        team.pk: {"id": team.pk, "name": team.name, "role": "member", "member_count": 3, "join_code": None},
        other.pk: {"id": other.pk, "name": "Platform", "role": "lead", "member_count": 1, "join_code": other.join_code},
    }


def test_a_lead_sees_the_join_code_of_their_team(client_for, team, lead, member):
    [item] = client_for(lead).get(TEAMS).json()["results"]
    assert item["role"] == "lead"
    assert item["join_code"] == team.join_code


def test_a_member_does_not_see_the_join_code(client_for, team, lead, member):
    [item] = client_for(member).get(TEAMS).json()["results"]
    assert item["role"] == "member"
    assert item["join_code"] is None


def test_my_teams_list_holds_only_my_teams(client_for, team, member, colleague, outsider):
    assert list(by_id(client_for(member).get(TEAMS))) == [team.pk]


@pytest.mark.parametrize("viewer_fixture", ["coach", "staff_admin"])
def test_a_coach_or_staff_admin_in_no_team_has_no_teams(request, client_for, team, member, viewer_fixture):
    response = client_for(request.getfixturevalue(viewer_fixture)).get(TEAMS)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_my_teams_need_a_signed_in_person(anonymous, team, member):
    response = anonymous.get(TEAMS)
    assert response.status_code == 401
    assert response.json()["errors"]


def test_a_trailing_slash_is_optional_and_never_redirects(client_for, team, member):
    client = client_for(member)
    without = client.get(TEAMS)
    with_slash = client.get(TEAMS + "/")
    assert without.status_code == with_slash.status_code == 200
    assert with_slash.json() == without.json()


def test_a_trailing_slash_on_a_post_does_not_redirect(client_for, team, colleague):
    response = client_for(colleague).post(JOIN + "/", {"code": team.join_code}, format="json")
    assert response.status_code == 200
    assert Membership.objects.filter(team=team, user=colleague).count() == 1


# One team


def test_a_member_sees_the_team_with_its_members_display_names(client_for, team, member, teammate, lead):
    response = client_for(member).get(team_url(team.pk))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "name", "my_role", "join_code", "members_facilitate", "members"}
    assert (body["id"], body["name"], body["my_role"], body["join_code"]) == (team.pk, team.name, "member", None)
    assert sorted(body["members"], key=lambda m: m["id"]) == sorted(
        [
            {"id": member.pk, "display_name": member.display_name, "role": "member"},
            {"id": teammate.pk, "display_name": teammate.display_name, "role": "member"},
            {"id": lead.pk, "display_name": lead.display_name, "role": "lead"},
        ],
        key=lambda m: m["id"],
    )


def test_a_team_never_shows_its_members_emails(client_for, team, member, teammate, lead):
    text = client_for(member).get(team_url(team.pk)).content.decode()
    for person in (member, teammate, lead):
        assert person.email not in text
    assert "@" not in text


def test_a_member_without_a_display_name_shows_as_a_colleague(client_for, team, member):
    nameless = MembershipFactory(team=team, user__display_name="").user
    members = client_for(member).get(team_url(team.pk)).json()["members"]
    assert {"id": nameless.pk, "display_name": "A colleague", "role": "member"} in members


def test_a_lead_sees_the_team_with_its_join_code(client_for, team, lead, member):
    body = client_for(lead).get(team_url(team.pk)).json()
    assert body["my_role"] == "lead"
    assert body["join_code"] == team.join_code


@pytest.mark.parametrize("viewer_fixture", STRANGERS)
def test_only_members_can_see_a_team(request, client_for, team, member, viewer_fixture):
    response = client_for(request.getfixturevalue(viewer_fixture)).get(team_url(team.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


def test_an_unknown_team_is_404(client_for, member):
    response = client_for(member).get(team_url(999_999))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


def test_a_team_id_too_large_for_any_database_is_404(client_for, member):
    response = client_for(member).get(team_url(10**20))
    assert response.status_code == 404


def test_a_non_numeric_team_id_is_404_in_the_api_shape(client_for, member):
    response = client_for(member).get("/api/v1/teams/abc")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "not_found")]


def test_seeing_a_team_needs_a_signed_in_person(anonymous, team, member):
    assert anonymous.get(team_url(team.pk)).status_code == 401


# Joining by code


def test_a_colleague_joins_a_team_by_its_code(client_for, team, member, colleague):
    response = join(client_for(colleague), team.join_code)

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["my_role"], body["join_code"]) == (team.pk, "member", None)
    assert {m["id"] for m in body["members"]} == {member.pk, colleague.pk}
    assert Membership.objects.get(team=team, user=colleague).role == Membership.Role.MEMBER


def test_a_join_code_ignores_letter_case_and_surrounding_spaces(client_for, team, colleague):
    response = join(client_for(colleague), f"  {team.join_code.lower()} \n")
    assert response.status_code == 200
    assert response.json()["id"] == team.pk
    assert Membership.objects.filter(team=team, user=colleague).count() == 1


def test_joining_twice_is_harmless(client_for, team, colleague):
    client = client_for(colleague)
    first = join(client, team.join_code)
    again = join(client, team.join_code)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Membership.objects.filter(team=team, user=colleague).count() == 1


def test_a_lead_joining_their_own_team_again_stays_lead(client_for, team, lead):
    response = join(client_for(lead), team.join_code)
    assert response.status_code == 200
    assert response.json()["my_role"] == "lead"
    assert Membership.objects.get(team=team, user=lead).role == Membership.Role.LEAD


def test_joining_appears_in_my_teams(client_for, team, member, colleague):
    client = client_for(colleague)
    assert team.pk not in by_id(client.get(TEAMS))
    join(client, team.join_code)
    assert by_id(client.get(TEAMS))[team.pk]["member_count"] == 2


def test_a_code_from_another_organisation_is_refused_like_an_unknown_code(client_for, team, outsider):
    client = client_for(outsider)
    memberships = Membership.objects.count()

    elsewhere = join(client, team.join_code)
    unknown = join(client, "ZZZZZZZZ" if team.join_code != "ZZZZZZZZ" else "YYYYYYYY")

    assert elsewhere.status_code == unknown.status_code == 404
    assert error_codes(elsewhere) == [(None, "team_not_found")]
    assert elsewhere.json() == unknown.json()
    assert Membership.objects.count() == memberships
    assert not Membership.objects.filter(team=team, user=outsider).exists()
    outsider.refresh_from_db()
    assert outsider.organisation_id != team.organisation_id


def test_a_person_with_no_organisation_joining_gets_the_teams_organisation(client_for, team):
    newcomer = UserFactory(organisation=None)
    response = join(client_for(newcomer), team.join_code)
    assert response.status_code == 200
    newcomer.refresh_from_db()
    assert newcomer.organisation_id == team.organisation_id
    assert Membership.objects.filter(team=team, user=newcomer).exists()


def test_a_person_with_no_organisation_and_a_wrong_code_stays_without_one(client_for, team):
    newcomer = UserFactory(organisation=None)
    response = join(client_for(newcomer), "ZZZZZZZZ" if team.join_code != "ZZZZZZZZ" else "YYYYYYYY")
    assert response.status_code == 404
    newcomer.refresh_from_db()
    assert newcomer.organisation_id is None
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   ",
        "!!!!!!!!",
        "O0I1L",  # letters left out of the alphabet on purpose
        "' OR 1=1 --",
        "A" * 33,
        "A" * 100_000,
        12345678,
        None,
        [],
        ["ABCDEFGH"],
        {"code": "ABCDEFGH"},
        True,
    ],
)
def test_a_nonsense_code_is_a_client_error_and_joins_nothing(client_for, team, colleague, code):
    memberships = Membership.objects.count()
    response = join(client_for(colleague), code)
    assert 400 <= response.status_code < 500
    assert response.json()["errors"]
    assert Membership.objects.count() == memberships


def test_a_join_without_a_code_is_refused(client_for, colleague):
    memberships = Membership.objects.count()
    response = client_for(colleague).post(JOIN, {}, format="json")
    assert response.status_code == 400
    assert error_codes(response) == [("code", "required")]
    assert Membership.objects.count() == memberships


def test_a_code_that_is_too_long_is_refused_on_the_code_field(client_for, colleague):
    response = join(client_for(colleague), "A" * 33)
    assert response.status_code == 400
    assert error_codes(response) == [("code", "max_length")]


def test_a_code_with_surrounding_text_is_not_a_code(client_for, team, colleague):
    response = join(client_for(colleague), f"{team.join_code}X")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]
    assert not Membership.objects.filter(team=team, user=colleague).exists()


def test_joining_needs_a_signed_in_person(anonymous, team):
    memberships = Membership.objects.count()
    response = join(anonymous, team.join_code)
    assert response.status_code == 401
    assert Membership.objects.count() == memberships
