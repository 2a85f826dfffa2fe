"""Every operation of the OpenAPI schema, fuzzed from the schema itself, in process, signed in
as a real demo user: no server error, every response matching its documented schema, status
code and content type. One test per operation (so each starts from the full demo world), and
bounded by max_examples so CI stays quick."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def test_the_fuzz_run_covers_every_operation_of_the_schema():
    paths = {operation.path for operation in OPERATIONS}
    assert len(OPERATIONS) >= 50
    assert "/api/v1/reflections/{reflection_id}" in paths


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_every_operation_keeps_its_documented_promises(operation):
    headers = {"Authorization": f"Bearer {AccessToken.for_user(User.objects.get(email='member1@demo.test'))}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def keeps_promises(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    keeps_promises()
