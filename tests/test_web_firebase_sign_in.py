"""Signing in to the web pages with the organisation's account: a Firebase ID token for a
session, checked by the phone's own sign-in (accounts.services.firebase_sign_in) with the same
limits; for coaches and organisation admins, as the password sign-in is."""

from datetime import timedelta

import jwt
import pytest
import responses
from django.test import Client
from django.utils import timezone

from accounts.factories import DEFAULT_PASSWORD, UserFactory
from accounts.models import User
from administration.factories import OrganisationAdminFactory
from teams.factories import CoachAssignmentFactory
from tests import firebase_tokens
from tests.test_hardening import manage, production_env

pytestmark = pytest.mark.django_db
DOOR = "/coach/sign-in/firebase/"
WEB_CONFIG = {"FIREBASE_WEB_API_KEY": "web-api-key-1", "FIREBASE_AUTH_DOMAIN": "humble-test.firebaseapp.com"}


@pytest.fixture
def firebase(settings):
    """Firebase sign-in configured for the test project; Google's certificate URL intercepted."""
    settings.FIREBASE_PROJECT_ID = firebase_tokens.PROJECT_ID
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        firebase_tokens.serve_certificates(mock)
        yield mock


def token_for(user, **claims) -> str:
    return firebase_tokens.id_token(uid=f"fb-{user.pk}", email=user.email, **claims)


def knock(client, id_token, **body):
    return client.post(DOOR, {"id_token": id_token, **body})


def signed_in_as(client) -> int | None:
    return int(client.session["_auth_user_id"]) if "_auth_user_id" in client.session else None


def forged(user) -> str:
    other_key, _ = firebase_tokens._make_signer()
    claims = jwt.decode(token_for(user), options={"verify_signature": False})
    return jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": firebase_tokens.KEY_ID})


# Coaches and organisation admins come in


def test_a_coach_signs_in_with_their_organisations_account_and_sees_the_dashboard(firebase, coach, organisation):
    client = Client()
    response = knock(client, token_for(coach))
    assert (response.status_code, response["Location"]) == (302, "/coach/")
    assert signed_in_as(client) == coach.pk
    assert client.get("/coach/", follow=True).status_code == 200
    coach.refresh_from_db()
    assert coach.firebase_uid == f"fb-{coach.pk}"  # linked by verified email, as on the phone


def test_signing_in_gives_a_new_session_key(firebase, coach):
    client = Client()
    client.get("/coach/sign-in/")
    client.session.save()
    before = client.session.session_key
    knock(client, token_for(coach))
    assert client.session.session_key != before


def test_signing_in_goes_where_next_says_on_this_site_only(firebase, coach, organisation):
    page = f"/coach/organisations/{organisation.pk}/"
    assert knock(Client(), token_for(coach), next=page)["Location"] == page
    assert knock(Client(), token_for(coach), next="https://evil.example/")["Location"] == "/coach/"


def test_an_organisation_admin_signs_in_and_lands_on_the_organisations_page(firebase, organisation):
    admin = OrganisationAdminFactory(user__organisation=organisation).user
    client = Client()
    assert knock(client, token_for(admin)).status_code == 302
    home = client.get("/coach/", follow=True)
    assert home.redirect_chain[-1][0] == f"/coach/organisations/{organisation.pk}/admin/"
    assert organisation.name in home.content.decode()


def test_an_organisation_admin_may_sign_in_with_a_password_too(organisation):
    admin = OrganisationAdminFactory(user__organisation=organisation).user
    response = Client().post("/coach/sign-in/", {"username": admin.email, "password": DEFAULT_PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/coach/")


# Everyone else is refused, with a page that says why


@pytest.mark.parametrize("who", ["member", "lead", "outsider"])
def test_someone_who_is_neither_coach_nor_admin_is_refused_with_a_403_page(request, firebase, who):
    person = request.getfixturevalue(who)
    client = Client()
    response = knock(client, token_for(person))
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert "for coaches and organisation admins" in response.content.decode()
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda coach: forged(coach), id="forged"),
        pytest.param(lambda coach: token_for(coach, expired=True), id="expired"),
        pytest.param(lambda coach: "not.a.token", id="nonsense"),
        pytest.param(lambda coach: "", id="empty"),
        pytest.param(lambda coach: "x" * 9000, id="huge"),
        pytest.param(lambda coach: "٣٤٥٦", id="odd digits"),
    ],
)
def test_a_token_that_proves_nothing_is_refused_and_signs_nobody_in(firebase, coach, token):
    client = Client()
    response = knock(client, token(coach))
    assert response.status_code == 200  # shown again, like a wrong password
    assert "did not work" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_token_for_another_firebase_project_is_refused(firebase, settings, coach):
    settings.FIREBASE_PROJECT_ID = "someone-elses-project"
    client = Client()
    assert "did not work" in knock(client, token_for(coach)).content.decode()
    assert signed_in_as(client) is None


def test_an_unsigned_token_such_as_the_emulators_is_refused_without_the_emulator(firebase, coach, monkeypatch):
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    claims = jwt.decode(token_for(coach), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    client = Client()
    assert "did not work" in knock(client, unsigned).content.decode()
    assert signed_in_as(client) is None


def test_production_still_refuses_the_firebase_emulator_with_web_sign_in_set_up():
    env = production_env(FIREBASE_AUTH_EMULATOR_HOST="127.0.0.1:9099", FIREBASE_PROJECT_ID="p", **WEB_CONFIG)
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "FIREBASE_AUTH_EMULATOR_HOST" in result.stderr


def test_a_disabled_account_is_refused(firebase, coach):
    User.objects.filter(pk=coach.pk).update(is_active=False)
    client = Client()
    response = knock(client, token_for(coach))
    assert response.status_code == 403
    assert "This account is disabled." in response.content.decode()
    assert signed_in_as(client) is None


def test_an_erased_account_is_refused(firebase, coach):
    User.objects.filter(pk=coach.pk).update(erasure_due_at=timezone.now() - timedelta(minutes=1))
    client = Client()
    response = knock(client, token_for(coach))
    assert response.status_code == 403
    assert "This account has been erased." in response.content.decode()
    assert signed_in_as(client) is None


def test_no_account_is_made_on_the_web_even_where_the_phone_would_make_one(firebase, organisation):
    organisation.allow_domain_signup = True
    organisation.save()
    organisation.domains.create(domain="open.example")
    client = Client()
    response = knock(client, firebase_tokens.id_token(uid="fb-new", email="new.person@open.example"))
    assert response.status_code == 403
    assert "There is no Humble account for this email address." in response.content.decode()
    assert not User.objects.filter(email__iexact="new.person@open.example").exists()


def test_an_unverified_email_is_not_linked(firebase, coach):
    response = knock(Client(), token_for(coach, email_verified=False))
    assert response.status_code == 403
    coach.refresh_from_db()
    assert coach.firebase_uid is None


def test_the_door_says_so_when_firebase_is_not_set_up(settings, coach):
    settings.FIREBASE_PROJECT_ID = ""
    settings.FIREBASE_CREDENTIALS = ""
    client = Client()
    response = knock(client, "anything")
    assert "Firebase sign-in is not set up on this server." in response.content.decode()
    assert signed_in_as(client) is None


# CSRF and limits, as for the password


def test_the_door_needs_the_pages_csrf_token(firebase, coach):
    browser = Client(enforce_csrf_checks=True)
    assert knock(browser, token_for(coach)).status_code == 403
    assert signed_in_as(browser) is None
    browser.get("/coach/sign-in/")
    response = knock(browser, token_for(coach), csrfmiddlewaretoken=browser.cookies["csrftoken"].value)
    assert response.status_code == 302
    assert signed_in_as(browser) == coach.pk


def test_the_door_is_for_posting_a_token_only(firebase, coach):
    assert Client().get(DOOR).status_code == 405


def test_an_address_over_the_limit_is_refused_on_both_doors_with_429(firebase, settings, coach):
    settings.SIGN_IN_RATES = {**settings.SIGN_IN_RATES, "address": "2/hour"}
    browser = Client(REMOTE_ADDR="10.0.0.7")
    browser.post("/coach/sign-in/", {"username": coach.email, "password": "wrong"})
    knock(browser, "not.a.token")
    for refused in (
        knock(browser, token_for(coach)),
        browser.post("/coach/sign-in/", {"username": coach.email, "password": DEFAULT_PASSWORD}),
    ):
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 3600
        assert "Too many sign-in attempts" in refused.content.decode()
    assert signed_in_as(browser) is None
    assert knock(Client(REMOTE_ADDR="10.0.0.8"), token_for(coach)).status_code == 302  # another address


def test_web_sign_ins_count_towards_the_phones_limit_too(firebase, settings, coach):
    settings.SIGN_IN_RATES = {**settings.SIGN_IN_RATES, "address": "1/hour"}
    knock(Client(REMOTE_ADDR="10.0.0.9"), token_for(coach))
    phone = Client(REMOTE_ADDR="10.0.0.9").post(
        "/api/v1/auth/firebase", {"id_token": token_for(coach)}, content_type="application/json"
    )
    assert phone.status_code == 429


# The page


def test_the_sign_in_page_offers_the_organisations_account_when_set_up(settings):
    for name, value in {**WEB_CONFIG, "FIREBASE_PROJECT_ID": firebase_tokens.PROJECT_ID}.items():
        setattr(settings, name, value)
    page = Client().get("/coach/sign-in/").content.decode()
    assert "Sign in with your organisation's account" in page
    assert f'action="{DOOR}"' in page
    assert "web-api-key-1" in page and "firebase-auth-compat" in page


@pytest.mark.parametrize("missing", ["FIREBASE_WEB_API_KEY", "FIREBASE_AUTH_DOMAIN", "FIREBASE_PROJECT_ID"])
def test_the_sign_in_page_offers_only_the_password_when_not_set_up(settings, missing):
    for name, value in {**WEB_CONFIG, "FIREBASE_PROJECT_ID": firebase_tokens.PROJECT_ID, missing: ""}.items():
        setattr(settings, name, value)
    page = Client().get("/coach/sign-in/").content.decode()
    assert "organisation's account" not in page and "firebase" not in page.lower()
    assert 'name="password"' in page


def test_a_refused_token_shows_the_sign_in_page_again_with_both_ways(firebase, settings, member):
    for name, value in WEB_CONFIG.items():
        setattr(settings, name, value)
    page = knock(Client(), token_for(member)).content.decode()
    assert 'name="password"' in page and f'action="{DOOR}"' in page


def test_someone_new_to_humble_is_neither_coach_nor_admin_on_the_home_page(organisation):
    person = UserFactory(organisation=organisation)
    client = Client()
    client.force_login(person)
    assert client.get("/coach/").status_code == 403


def test_signing_in_takes_a_few_queries_whatever_the_organisation_holds(firebase, coach, django_assert_max_num_queries):
    knock(Client(), token_for(coach))  # linked once; from then on found by uid
    CoachAssignmentFactory.create_batch(5, coach=coach)  # more organisations, no more queries
    with django_assert_max_num_queries(12):
        assert knock(Client(), token_for(coach)).status_code == 302
