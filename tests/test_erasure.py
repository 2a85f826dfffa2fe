"""Erasure, as a phone asks for it: proven, recoverable for a grace period, then final.

`DELETE me` with the password (or a fresh Firebase sign-in) answers 202 with when the erasure
will happen; the person is signed out everywhere at once; signing in again before then calls
it off; after it the worker erases them for good. Meanwhile others see them as before."""

import time
from datetime import timedelta

import jwt
import pytest
import responses
import time_machine
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.factories import DEFAULT_PASSWORD, UserFactory
from accounts.models import User
from nudges.models import Device
from privacy.tasks import carry_out_erasures
from reflections.factories import ReflectionFactory
from reflections.models import Reflection
from tests import firebase_tokens
from tests.conftest import error_codes
from tests.ws_clients import bearer, closed_with, connect
from worker.schedule import enqueue_due_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def firebase(settings):
    settings.FIREBASE_PROJECT_ID = firebase_tokens.PROJECT_ID
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        firebase_tokens.serve_certificates(mock)
        yield mock


def ask_to_erase(client, **body):
    return client.delete("/api/v1/me", body, format="json")


def sign_in(email, password=DEFAULT_PASSWORD):
    return APIClient().post("/api/v1/auth/token", {"email": email, "password": password}, format="json")


def the_worker_runs(*, days_from_now: float) -> int:
    with time_machine.travel(timezone.now() + timedelta(days=days_from_now)):
        return carry_out_erasures.call()


def firebase_id_token(*, uid: str, email: str, signed_in_seconds_ago: int) -> str:
    """A Firebase ID token whose sign-in (auth_time) was this long ago, freshly issued."""
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{firebase_tokens.PROJECT_ID}",
        "aud": firebase_tokens.PROJECT_ID,
        "auth_time": now - signed_in_seconds_ago,
        "user_id": uid,
        "sub": uid,
        "iat": now - 5,
        "exp": now + 3600,
        "email": email,
        "email_verified": True,
        "firebase": {"sign_in_provider": "google.com"},
    }
    return jwt.encode(claims, firebase_tokens.PRIVATE_KEY, algorithm="RS256", headers={"kid": firebase_tokens.KEY_ID})


@pytest.fixture
def firebase_person():
    """Someone who signs in with Firebase only: no usable password."""
    person = UserFactory(firebase_uid="fb-erase-me")
    person.set_unusable_password()
    person.save()
    return person


# Asking


def test_erasure_with_the_password_is_scheduled_after_the_grace_period(client_for, member):
    response = ask_to_erase(client_for(member), password=DEFAULT_PASSWORD)
    assert response.status_code == 202
    due = parse_datetime(response.json()["erasure_due_at"])
    assert abs(due - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)
    assert User.objects.filter(pk=member.pk).exists()


def test_the_grace_period_is_configurable(client_for, member, settings):
    settings.ERASURE_GRACE_DAYS = 3
    due = parse_datetime(ask_to_erase(client_for(member), password=DEFAULT_PASSWORD).json()["erasure_due_at"])
    assert abs(due - (timezone.now() + timedelta(days=3))) < timedelta(minutes=1)


def test_a_bearer_token_alone_erases_nothing(client_for, member):
    response = client_for(member).delete("/api/v1/me")
    assert response.status_code == 400
    assert error_codes(response) == [(None, "confirmation_required")]
    member.refresh_from_db()
    assert member.erasure_due_at is None


def test_a_wrong_password_erases_nothing(client_for, member):
    response = ask_to_erase(client_for(member), password="a guess")
    assert response.status_code == 400
    assert error_codes(response) == [("password", "wrong_password")]
    member.refresh_from_db()
    assert member.erasure_due_at is None


@pytest.mark.parametrize(
    "body",
    [{"password": 5}, {"password": ["x"]}, {"password": "x" * 5000}, {"id_token": {"a": 1}}, {"password": None}],
)
def test_a_nonsense_erasure_body_is_a_400(client_for, member, body):
    response = client_for(member).delete("/api/v1/me", body, format="json")
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.erasure_due_at is None


def test_guessing_the_password_through_erasure_is_limited_like_signing_in(client_for, member, settings):
    settings.SIGN_IN_RATES = {**settings.SIGN_IN_RATES, "account": "2/hour"}
    thief = client_for(member)
    assert [ask_to_erase(thief, password="guess").status_code for _ in range(3)] == [400, 400, 429]


# Signed out everywhere, at once


def test_asking_signs_the_person_out_everywhere(client_for, member):
    refresh = str(RefreshToken.for_user(member))
    Device.objects.create(user=member, token="phone-1", platform="ios")
    client = client_for(member)
    ask_to_erase(client, password=DEFAULT_PASSWORD)
    assert APIClient().post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json").status_code == 401
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert error_codes(refused) == [(None, "erasure_pending")]
    assert not Device.objects.filter(user=member).exists()


@pytest.mark.django_db(transaction=True)
async def test_asking_closes_the_event_stream_door_to_the_access_token_still_in_hand(member):
    headers = await sync_to_async(bearer)(member)
    await sync_to_async(ask_to_erase)(
        APIClient(headers={"Authorization": headers[0][1].decode()}), password=DEFAULT_PASSWORD
    )
    communicator = await connect("/ws/v1/events/", headers=headers)
    assert await closed_with(communicator) == 4401
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_taken_before_asking_opens_nothing_after(member):
    client = await sync_to_async(APIClient)()
    await sync_to_async(client.force_authenticate)(member)
    ticket = (await sync_to_async(client.post)("/api/v1/realtime/ticket")).json()["ticket"]
    await sync_to_async(client.delete)("/api/v1/me", {"password": DEFAULT_PASSWORD}, format="json")
    communicator = await connect(f"/ws/v1/events/?ticket={ticket}")
    assert await closed_with(communicator) == 4401
    await communicator.disconnect()


def test_asking_ends_the_persons_dashboard_session_too(client_for, coach, organisation):
    browser = Client()
    browser.force_login(coach)
    assert browser.get("/coach/").status_code == 302
    ask_to_erase(client_for(coach), password=DEFAULT_PASSWORD)
    assert browser.get("/coach/")["Location"].startswith("/coach/sign-in/")


def test_others_see_the_person_as_before_during_the_grace_period(client_for, member, teammate, team):
    ask_to_erase(client_for(member), password=DEFAULT_PASSWORD)
    members = client_for(teammate).get(f"/api/v1/teams/{team.pk}").json()["members"]
    assert member.pk in [person["id"] for person in members]


# Changing one's mind


def test_signing_in_again_within_the_grace_period_calls_the_erasure_off(client_for, member):
    ReflectionFactory(author=member)
    ask_to_erase(client_for(member), password=DEFAULT_PASSWORD)
    signed_in = sign_in(member.email)
    assert signed_in.status_code == 200
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {signed_in.json()['access']}").get("/api/v1/me").status_code == 200
    assert the_worker_runs(days_from_now=15) == 0
    assert Reflection.objects.filter(author=member).count() == 1


def test_signing_in_at_the_dashboard_calls_the_erasure_off(client_for, coach):
    ask_to_erase(client_for(coach), password=DEFAULT_PASSWORD)
    Client().post("/coach/sign-in/", {"username": coach.email, "password": DEFAULT_PASSWORD})
    coach.refresh_from_db()
    assert coach.erasure_due_at is None


def test_signing_in_with_firebase_calls_the_erasure_off(client_for, firebase_person, firebase):
    token = firebase_id_token(uid=firebase_person.firebase_uid, email=firebase_person.email, signed_in_seconds_ago=10)
    assert ask_to_erase(client_for(firebase_person), id_token=token).status_code == 202
    assert APIClient().post("/api/v1/auth/firebase", {"id_token": token}, format="json").status_code == 200
    assert the_worker_runs(days_from_now=15) == 0
    assert User.objects.filter(pk=firebase_person.pk).exists()


# Carried out, for good


def test_the_worker_erases_once_the_grace_period_is_over_and_not_before(client_for, member):
    ask_to_erase(client_for(member), password=DEFAULT_PASSWORD)
    assert the_worker_runs(days_from_now=13) == 0
    assert User.objects.filter(pk=member.pk).exists()
    assert the_worker_runs(days_from_now=14.01) == 1
    assert not User.objects.filter(pk=member.pk).exists()


def test_once_due_signing_in_no_longer_calls_it_off(client_for, member):
    ask_to_erase(client_for(member), password=DEFAULT_PASSWORD)
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        refused = sign_in(member.email)
    assert refused.status_code == 403
    assert error_codes(refused) == [(None, "account_erased")]
    assert the_worker_runs(days_from_now=14.01) == 1


def test_once_due_the_dashboard_refuses_with_a_page_too(client_for, coach):
    ask_to_erase(client_for(coach), password=DEFAULT_PASSWORD)
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        refused = Client().post("/coach/sign-in/", {"username": coach.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 403
    assert "This account has been erased." in refused.content.decode()


def test_the_worker_clock_schedules_the_erasures():
    assert "carry_out_erasures" in enqueue_due_jobs()


# Firebase accounts prove it with a fresh sign-in


def test_a_firebase_account_confirms_with_a_fresh_firebase_sign_in(client_for, firebase_person, firebase):
    token = firebase_id_token(uid=firebase_person.firebase_uid, email=firebase_person.email, signed_in_seconds_ago=30)
    assert ask_to_erase(client_for(firebase_person), id_token=token).status_code == 202


def test_a_firebase_sign_in_from_long_ago_is_not_enough(client_for, firebase_person, firebase):
    token = firebase_id_token(uid=firebase_person.firebase_uid, email=firebase_person.email, signed_in_seconds_ago=3600)
    response = ask_to_erase(client_for(firebase_person), id_token=token)
    assert response.status_code == 400
    assert error_codes(response) == [("id_token", "firebase_sign_in_too_old")]


def test_another_persons_firebase_token_is_not_enough(client_for, firebase_person, firebase):
    token = firebase_id_token(uid="someone-else", email="else@example.com", signed_in_seconds_ago=10)
    response = ask_to_erase(client_for(firebase_person), id_token=token)
    assert error_codes(response) == [("id_token", "wrong_firebase_account")]


def test_a_forged_firebase_token_is_not_enough(client_for, firebase_person, firebase):
    response = ask_to_erase(client_for(firebase_person), id_token="not.a.token")
    assert response.status_code == 400
    assert error_codes(response) == [("id_token", "invalid_firebase_token")]


def test_a_firebase_account_has_no_password_to_confirm_with(client_for, firebase_person):
    response = ask_to_erase(client_for(firebase_person), password=DEFAULT_PASSWORD)
    assert error_codes(response) == [("password", "wrong_password")]
    firebase_person.refresh_from_db()
    assert firebase_person.erasure_due_at is None


def test_a_firebase_token_on_a_server_without_firebase_is_a_400_not_a_404(client_for, firebase_person):
    response = ask_to_erase(client_for(firebase_person), id_token="anything")
    assert response.status_code == 400
    assert error_codes(response) == [("id_token", "firebase_not_configured")]
