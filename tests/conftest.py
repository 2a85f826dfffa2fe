import json
import os

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.factories import OrganisationFactory, UserFactory
from teams.factories import CoachAssignmentFactory, MembershipFactory, TeamFactory
from teams.models import Membership


def pytest_configure(config):
    """With HUMBLE_REQUIRE_SERVICES=1 (CI's second pass) the real services must be configured
    and answering: a missing variable or a service that is down fails the run, never skips."""
    if os.environ.get("HUMBLE_REQUIRE_SERVICES") != "1":
        return
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            raise pytest.UsageError(f"HUMBLE_REQUIRE_SERVICES=1 but {name} is not set.")
    import redis

    try:
        redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise pytest.UsageError(f"REDIS_URL is set but Redis does not answer: {error}") from None


@pytest.fixture(autouse=True)
def _quick_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_for():
    """An API client signed in as the given person, with a real access token."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
        return client

    return make


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def organisation():
    return OrganisationFactory()


@pytest.fixture
def team(organisation):
    return TeamFactory(organisation=organisation)


@pytest.fixture
def member(team):
    return MembershipFactory(team=team).user


@pytest.fixture
def teammate(team):
    return MembershipFactory(team=team).user


@pytest.fixture
def lead(team):
    return MembershipFactory(team=team, role=Membership.Role.LEAD).user


@pytest.fixture
def coach(organisation):
    return CoachAssignmentFactory(organisation=organisation).coach


@pytest.fixture
def colleague(organisation):
    """Same organisation, no team in common."""
    return MembershipFactory(team=TeamFactory(organisation=organisation)).user


@pytest.fixture
def outsider():
    """Someone in another organisation altogether."""
    return MembershipFactory().user


@pytest.fixture
def staff_admin():
    return UserFactory(organisation=None, is_staff=True, is_superuser=True)


def embedded_insights(page: str) -> dict:
    """The insights table a coach's page embeds for its script to draw."""
    return json.loads(page.split('<script id="insights" type="application/json">')[1].split("</script>")[0])


def error_codes(response) -> list[tuple[str | None, str]]:
    """The (attr, code) pairs of a standard error body."""
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


@pytest.fixture(autouse=True)
def _background_work_is_recorded_not_run(settings):
    """Tests run background work explicitly; enqueued tasks are only recorded."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _own_channel_layer():
    """Each test gets its own channel layer object. A consumer cut off mid-receive when one
    test's event loop closes leaves the Redis layer's receive lock bound to that loop, and the
    next test to receive on the same object fails; a new object starts clean."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _catalogue_read_afresh():
    """Each test starts with no catalogue kept. Versions are revision ids, and a rolled-back
    test's ids come again on SQLite: a kept catalogue could outlive the test that read it."""
    from exercises.selectors import kept_catalogue

    kept_catalogue.forget()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters start at zero for each test."""
    from django.core.cache import cache

    cache.clear()
