"""Signing in, tokens, and one's own profile."""

import pytest
import responses

from accounts.factories import OrganisationDomainFactory, UserFactory
from accounts.models import User
from tests import firebase_tokens
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def firebase(settings):
    """Firebase sign-in configured for the test project; Google's certificate URL intercepted."""
    settings.FIREBASE_PROJECT_ID = firebase_tokens.PROJECT_ID
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        firebase_tokens.serve_certificates(mock)
        yield mock


def sign_in(client, email, password="a-long-test-password"):
    return client.post("/api/v1/auth/token", {"email": email, "password": password}, format="json")


# Email and password


def test_a_person_signs_in_with_email_and_password(anonymous, member):
    response = sign_in(anonymous, member.email)
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_email_sign_in_ignores_letter_case(anonymous, member):
    assert sign_in(anonymous, member.email.upper()).status_code == 200


def test_a_wrong_password_is_refused(anonymous, member):
    response = sign_in(anonymous, member.email, "not-the-password")
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


def test_a_disabled_account_cannot_sign_in(anonymous, member):
    member.is_active = False
    member.save()
    assert sign_in(anonymous, member.email).status_code == 401


@pytest.mark.parametrize(
    "body", [{}, {"email": "x"}, {"email": ["a"], "password": {"b": 1}}, {"email": "a" * 5000, "password": "b"}]
)
def test_nonsense_sign_in_input_is_a_client_error(anonymous, body):
    response = anonymous.post("/api/v1/auth/token", body, format="json")
    assert 400 <= response.status_code < 500
    assert response.json()["errors"]


def test_a_refresh_token_gives_a_new_pair_and_stops_working(anonymous, member):
    refresh = sign_in(anonymous, member.email).json()["refresh"]
    rotated = anonymous.post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json")
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    again = anonymous.post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json")
    assert again.status_code == 401


def test_logging_out_revokes_the_refresh_token(anonymous, member):
    refresh = sign_in(anonymous, member.email).json()["refresh"]
    assert anonymous.post("/api/v1/auth/logout", {"refresh": refresh}, format="json").status_code == 204
    assert anonymous.post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json").status_code == 401


def test_logging_out_with_a_forged_token_is_refused(anonymous):
    assert anonymous.post("/api/v1/auth/logout", {"refresh": "nonsense"}, format="json").status_code == 401


def test_an_access_token_is_not_a_refresh_token(anonymous, member):
    access = sign_in(anonymous, member.email).json()["access"]
    assert anonymous.post("/api/v1/auth/token/refresh", {"refresh": access}, format="json").status_code == 401


def test_a_garbage_bearer_token_is_refused(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    response = anonymous.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


# Firebase


def test_a_firebase_token_links_to_the_account_with_that_verified_email(anonymous, member, firebase):
    token = firebase_tokens.id_token(uid="fb-1", email=member.email)
    response = anonymous.post("/api/v1/auth/firebase", {"id_token": token}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    member.refresh_from_db()
    assert member.firebase_uid == "fb-1"


def test_a_firebase_sign_in_creates_an_account_where_the_organisation_allows_its_domain(
    anonymous, organisation, firebase
):
    organisation.allow_domain_signup = True
    organisation.save()
    OrganisationDomainFactory(organisation=organisation, domain="open.example")
    token = firebase_tokens.id_token(uid="fb-2", email="New.Person@open.example", name="New Person")
    response = anonymous.post("/api/v1/auth/firebase", {"id_token": token}, format="json")
    assert response.status_code == 200
    created = User.objects.get(firebase_uid="fb-2")
    assert (created.email, created.organisation, created.display_name) == (
        "new.person@open.example",
        organisation,
        "New Person",
    )


def test_no_account_is_created_for_a_domain_whose_organisation_does_not_allow_it(anonymous, organisation, firebase):
    OrganisationDomainFactory(organisation=organisation, domain="closed.example")
    token = firebase_tokens.id_token(uid="fb-3", email="someone@closed.example")
    response = anonymous.post("/api/v1/auth/firebase", {"id_token": token}, format="json")
    assert response.status_code == 403
    assert error_codes(response) == [(None, "signup_not_allowed")]
    assert not User.objects.filter(firebase_uid="fb-3").exists()


def test_an_unverified_email_is_not_linked(anonymous, member, firebase):
    token = firebase_tokens.id_token(uid="fb-4", email=member.email, email_verified=False)
    response = anonymous.post("/api/v1/auth/firebase", {"id_token": token}, format="json")
    assert response.status_code == 403
    assert error_codes(response) == [(None, "email_not_verified")]
    member.refresh_from_db()
    assert member.firebase_uid is None


def test_an_expired_firebase_token_is_refused(anonymous, member, firebase):
    token = firebase_tokens.id_token(uid="fb-5", email=member.email, expired=True)
    response = anonymous.post("/api/v1/auth/firebase", {"id_token": token}, format="json")
    assert response.status_code == 401
    assert error_codes(response) == [(None, "invalid_firebase_token")]


def test_a_firebase_token_for_another_project_is_refused(anonymous, member, firebase, settings):
    settings.FIREBASE_PROJECT_ID = "someone-elses-project"
    token = firebase_tokens.id_token(uid="fb-6", email=member.email)
    assert anonymous.post("/api/v1/auth/firebase", {"id_token": token}, format="json").status_code == 401


def test_a_token_signed_by_another_key_is_refused(anonymous, member, firebase):
    other_key, _ = firebase_tokens._make_signer()
    forged = firebase_tokens.jwt.encode(
        firebase_tokens.jwt.decode(
            firebase_tokens.id_token(uid="fb-7", email=member.email), options={"verify_signature": False}
        ),
        other_key,
        algorithm="RS256",
        headers={"kid": firebase_tokens.KEY_ID},
    )
    assert anonymous.post("/api/v1/auth/firebase", {"id_token": forged}, format="json").status_code == 401


def test_a_firebase_account_already_linked_elsewhere_is_not_taken_over(anonymous, firebase):
    UserFactory(email="owner@example.com", firebase_uid="fb-original")
    token = firebase_tokens.id_token(uid="fb-intruder", email="owner@example.com")
    response = anonymous.post("/api/v1/auth/firebase", {"id_token": token}, format="json")
    assert response.status_code == 403
    assert error_codes(response) == [(None, "firebase_account_mismatch")]


def test_firebase_sign_in_says_so_when_firebase_is_not_set_up(anonymous, settings):
    settings.FIREBASE_PROJECT_ID = ""
    settings.FIREBASE_CREDENTIALS = ""
    response = anonymous.post("/api/v1/auth/firebase", {"id_token": "x"}, format="json")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "firebase_not_configured")]


@pytest.mark.parametrize("body", [{}, {"id_token": ""}, {"id_token": 5}, {"id_token": "x" * 9000}])
def test_nonsense_firebase_input_is_a_client_error(anonymous, body, firebase):
    response = anonymous.post("/api/v1/auth/firebase", body, format="json")
    assert 400 <= response.status_code < 500


# Profile


def test_a_person_sees_their_profile_with_teams_and_roles(client_for, member, team):
    body = client_for(member).get("/api/v1/me").json()
    assert body["email"] == member.email
    assert body["teams"] == [{"id": team.pk, "name": team.name, "role": "member"}]
    assert body["is_coach"] is False
    assert body["organisation"]["id"] == team.organisation_id


def test_a_coach_is_flagged_as_one(client_for, coach):
    assert client_for(coach).get("/api/v1/me").json()["is_coach"] is True


def test_a_person_changes_their_name_time_zone_and_locale(client_for, member):
    response = client_for(member).patch(
        "/api/v1/me", {"display_name": "Sam", "time_zone": "Pacific/Auckland", "locale": "fr-CA"}, format="json"
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert (member.display_name, member.time_zone, member.locale) == ("Sam", "Pacific/Auckland", "fr-CA")


@pytest.mark.parametrize(
    "change, attr",
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": 5}, "time_zone"),
        ({"locale": "not a locale"}, "locale"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"display_name": ["a"]}, "display_name"),
    ],
)
def test_a_nonsense_profile_change_is_refused_and_changes_nothing(client_for, member, change, attr):
    response = client_for(member).patch("/api/v1/me", {"display_name": "Kept", **change}, format="json")
    assert response.status_code == 400
    assert [a for a, _ in error_codes(response)] == [attr]
    member.refresh_from_db()
    assert member.display_name != "Kept"


@pytest.mark.parametrize("locale", ["xx", "de", "zz-ZZ"])
def test_a_locale_the_app_does_not_speak_is_refused(client_for, member, locale):
    response = client_for(member).patch("/api/v1/me", {"locale": locale}, format="json")
    assert response.status_code == 400
    assert error_codes(response) == [("locale", "unsupported_locale")]
    member.refresh_from_db()
    assert member.locale == "en"


def test_anonymous_has_no_profile(anonymous):
    assert anonymous.get("/api/v1/me").status_code == 401
    assert anonymous.patch("/api/v1/me", {"display_name": "x"}, format="json").status_code == 401
