"""The schema fuzz run works on the demo world: seeded once into its test database, and every
generated call rolled back after its test, so even "erase my account" leaves the next
operation a full world. It runs on its own (`make test` runs it after the rest of tests/, which
ignores this folder): its session-wide demo world would otherwise sit under every other test.
The autouse fixtures of tests/conftest.py apply here too."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from demo.seed import demo_seed
from exercises.services import content_pack_load
from insights.services import insights_catch_up


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        content_pack_load()
        demo_seed()
        insights_catch_up(weeks=9)


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open():
    """Calls go straight into the WSGI app; like Django's test client, keep the end of a request
    from closing the test's own database connection."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)
