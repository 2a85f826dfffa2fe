"""Signing in, on every door: one password check, one set of limits, failures only.

The doors: the API (`POST auth/token`), the coaches' dashboard (`/coach/sign-in/`) and the
Django admin (`/admin/login/`); and the confirmations a signed-in person gives (a password
change), so a stolen access token is no password oracle either."""

from datetime import timedelta

import pytest
import responses
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import sign_in as sign_in_module
from accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests import firebase_tokens
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db
WRONG = "not-the-password"


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.SIGN_IN_RATES = {**settings.SIGN_IN_RATES, **rates}

    return set_rates


@pytest.fixture
def clock(monkeypatch):
    """Sign-in's own clock, set to the start of an hour, moved on by hand."""

    class Clock:
        now = 1_800_000_000.0  # a whole number of hours since the epoch

        def time(self):
            return self.now

        def advance(self, seconds):
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(sign_in_module.time, "time", clock.time)
    return clock


def api(address="10.0.0.1", **extra):
    return APIClient(REMOTE_ADDR=address, **extra)


def sign_in(client, email, password=WRONG):
    return client.post("/api/v1/auth/token", {"email": email, "password": password}, format="json")


def dashboard_sign_in(email, password=WRONG, address="10.0.0.1"):
    return Client(REMOTE_ADDR=address).post("/coach/sign-in/", {"username": email, "password": password})


def admin_sign_in(email, password=WRONG, address="10.0.0.1"):
    body = {"username": email, "password": password, "next": "/admin/"}
    return Client(REMOTE_ADDR=address).post("/admin/login/", body)


# The API


def test_wrong_passwords_at_one_account_from_one_address_are_stopped_with_429_and_retry_after(rates, member):
    rates(account="3/hour")
    for _ in range(3):
        assert sign_in(api(), member.email).status_code == 401
    refused = sign_in(api(), member.email, DEFAULT_PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert error_codes(refused) == [(None, "throttled")]


def test_a_wrong_password_says_so_with_one_code(member):
    assert error_codes(sign_in(api(), member.email)) == [(None, "wrong_credentials")]


def test_a_strangers_wrong_passwords_never_lock_the_owner_out_from_their_own_network(rates, member):
    rates(account="3/hour")
    for _ in range(10):
        sign_in(api("203.0.113.9"), member.email)
    assert sign_in(api("198.51.100.7"), member.email, DEFAULT_PASSWORD).status_code == 200


def test_successful_sign_ins_never_count(rates, member):
    rates(account="3/hour")
    for _ in range(12):
        assert sign_in(api(), member.email, DEFAULT_PASSWORD).status_code == 200


def test_the_email_is_one_account_whatever_its_case_and_surrounding_spaces(rates, member):
    rates(account="2/hour")
    sign_in(api(), member.email.upper())
    sign_in(api(), f"  {member.email}  ")
    assert sign_in(api(), member.email, DEFAULT_PASSWORD).status_code == 429


def test_an_unknown_email_is_limited_like_a_real_one(rates):
    rates(account="2/hour")
    for _ in range(2):
        assert sign_in(api(), "nobody@example.com").status_code == 401
    assert sign_in(api(), "nobody@example.com").status_code == 429


def test_spraying_passwords_from_one_address_is_stopped(rates, member, teammate, lead):
    rates(address="2/min")
    assert [sign_in(api(), person.email).status_code for person in (member, teammate, lead)] == [401, 401, 429]


def test_a_limited_address_does_not_limit_another(rates, member):
    rates(address="1/min")
    sign_in(api("10.2.2.2"), member.email)
    assert sign_in(api("10.3.3.3"), member.email).status_code == 401


def test_behind_a_proxy_the_forwarded_address_is_the_one_counted(rates, settings, member):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    rates(account="2/hour")
    proxy = "10.9.9.9"
    for _ in range(2):
        sign_in(api(proxy, HTTP_X_FORWARDED_FOR="203.0.113.9"), member.email)
    assert sign_in(api(proxy, HTTP_X_FORWARDED_FOR="203.0.113.9"), member.email, DEFAULT_PASSWORD).status_code == 429
    assert sign_in(api(proxy, HTTP_X_FORWARDED_FOR="198.51.100.7"), member.email, DEFAULT_PASSWORD).status_code == 200


def test_the_limit_lifts_when_its_hour_is_over(rates, clock, member):
    rates(account="2/hour")
    for _ in range(2):
        sign_in(api(), member.email)
    assert sign_in(api(), member.email, DEFAULT_PASSWORD).status_code == 429
    clock.advance(3600)
    assert sign_in(api(), member.email, DEFAULT_PASSWORD).status_code == 200


# A distributed attack: past the ceiling, slower, never locked


def test_past_the_ceiling_from_many_addresses_the_account_is_slowed_down_not_locked(rates, clock, member):
    rates(account_everywhere="5/hour")
    for n in range(5):
        assert sign_in(api(f"10.1.0.{n}"), member.email).status_code == 401
    assert sign_in(api("10.1.1.1"), member.email).status_code == 401  # takes the turn
    slowed = sign_in(api("198.51.100.7"), member.email, DEFAULT_PASSWORD)
    assert slowed.status_code == 429
    clock.advance(int(slowed["Retry-After"]))
    assert sign_in(api("198.51.100.7"), member.email, DEFAULT_PASSWORD).status_code == 200


def test_each_wrong_password_past_the_ceiling_makes_the_wait_longer(rates, clock, member):
    rates(account_everywhere="3/hour")
    for n in range(3):
        sign_in(api(f"10.1.0.{n}"), member.email)
    waits = []
    for n in range(4):
        assert sign_in(api(f"10.2.0.{n}"), member.email).status_code == 401
        refused = sign_in(api(f"10.3.0.{n}"), member.email)
        waits.append(int(refused["Retry-After"]))
        clock.advance(waits[-1])
    assert waits == [1, 2, 4, 8]
    assert waits[-1] <= sign_in_module.SLOWEST_TURN_SECONDS


# Every door: the dashboard and the admin share the API's limits


def test_the_dashboard_refuses_after_wrong_passwords_given_at_the_api(rates, coach):
    rates(account="3/hour")
    for _ in range(3):
        sign_in(api(), coach.email)
    refused = dashboard_sign_in(coach.email, DEFAULT_PASSWORD)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many sign-in attempts" in refused.content.decode()
    assert "_auth_user_id" not in refused.wsgi_request.session


def test_fifteen_wrong_passwords_at_the_dashboard_then_the_right_one_give_no_session(coach):
    for _ in range(15):
        dashboard_sign_in(coach.email)
    response = dashboard_sign_in(coach.email, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert sign_in(api(), coach.email, DEFAULT_PASSWORD).status_code == 429  # the API agrees


def test_the_admin_refuses_after_wrong_passwords_given_at_the_dashboard(rates, staff_admin):
    rates(account="3/hour")
    for _ in range(3):
        assert dashboard_sign_in(staff_admin.email).status_code == 200
    refused = admin_sign_in(staff_admin.email, DEFAULT_PASSWORD)
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.content.decode()


def test_staff_sign_in_to_the_admin_through_the_shared_check(staff_admin):
    response = admin_sign_in(staff_admin.email, DEFAULT_PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_the_admin_is_still_for_staff_only(member):
    response = admin_sign_in(member.email, DEFAULT_PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in response.wsgi_request.session


def test_wrong_passwords_at_the_admin_count_at_the_api(rates, staff_admin):
    rates(account="2/hour")
    for _ in range(2):
        admin_sign_in(staff_admin.email)
    assert sign_in(api(), staff_admin.email, DEFAULT_PASSWORD).status_code == 429


def test_guessing_the_current_password_with_a_stolen_access_token_is_limited(rates, client_for, member):
    rates(account="3/hour")
    thief = client_for(member)
    change = {"current_password": WRONG, "new_password": "a brand new long phrase"}
    statuses = [thief.post("/api/v1/me/password", change, format="json").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


# Firebase and refresh keep the per-address limit


def test_firebase_sign_in_is_limited_per_address(rates, settings, member):
    rates(address="2/min")
    settings.FIREBASE_PROJECT_ID = firebase_tokens.PROJECT_ID
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        firebase_tokens.serve_certificates(mock)
        body = {"id_token": firebase_tokens.id_token(uid="fb-limit", email=member.email)}
        statuses = [api().post("/api/v1/auth/firebase", body, format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_refreshing_is_limited_per_address(rates, member):
    rates(address="2/min")
    body = {"refresh": "nonsense"}
    statuses = [api().post("/api/v1/auth/token/refresh", body, format="json").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


# A bad access token: one error, a code to branch on


def test_an_expired_access_token_answers_token_expired_once(member):
    token = AccessToken.for_user(member)
    token.set_exp(lifetime=-timedelta(minutes=1))
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/me")
    assert response.status_code == 401
    assert error_codes(response) == [(None, "token_expired")]


@pytest.mark.parametrize("token", ["not.a.token", "abc", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"])
def test_a_malformed_access_token_answers_token_invalid_once(token):
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/me")
    assert response.status_code == 401
    assert error_codes(response) == [(None, "token_invalid")]


def test_a_token_signed_with_another_key_is_invalid(member):
    token = AccessToken.for_user(member)
    forged = str(token)[:-4] + ("AAAA" if not str(token).endswith("AAAA") else "BBBB")
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {forged}").get("/api/v1/me")
    assert error_codes(response) == [(None, "token_invalid")]


def test_a_refresh_token_is_not_an_access_token(member):
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(member)}").get("/api/v1/me")
    assert error_codes(response) == [(None, "token_invalid")]


@pytest.mark.parametrize("path", ["/api/v1/auth/token/refresh", "/api/v1/auth/logout"])
def test_a_bad_refresh_token_answers_token_invalid_once(path, member):
    access_as_refresh = str(AccessToken.for_user(member))
    for token in ("nonsense", access_as_refresh):
        response = APIClient().post(path, {"refresh": token}, format="json")
        assert response.status_code == 401
        assert error_codes(response) == [(None, "token_invalid")]


def test_a_disabled_accounts_password_is_refused_like_a_wrong_one():
    person = UserFactory(is_active=False)
    assert error_codes(sign_in(api(), person.email, DEFAULT_PASSWORD)) == [(None, "wrong_credentials")]
