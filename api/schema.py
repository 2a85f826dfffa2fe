"""How the OpenAPI schema describes errors: one body shape for every status.

Business rules answer with their own stable codes (`team_not_found`, `stale_version`, …), so
error codes are documented as strings rather than as the framework's fixed enumerations, and
the statuses the rules can produce (403, 404, 409, 429, 503) are documented on every operation
that can reach a rule.
"""

from drf_spectacular.utils import extend_schema_field
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="stable, machine-readable: switch on it")
    detail = serializers.CharField(help_text="for people; may change")
    attr = serializers.CharField(allow_null=True, help_text="the field at fault, if one is")


class ErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["validation_error", "client_error", "server_error"])
    errors = ErrorSerializer(many=True)


class AutoSchema(StandardizedErrorsSchema):
    def _should_add_http401_error_response(self) -> bool:
        # A missing or expired token, or wrong credentials when signing in.
        return True

    def _should_add_http403_error_response(self) -> bool:
        # Signed-in is not enough for most rules: a member is not a lead, a lead is not a coach.
        permissions = self.view.get_permissions()
        return not (len(permissions) == 1 and type(permissions[0]) is AllowAny)

    def _should_add_http404_error_response(self) -> bool:
        # Anything not yours is "not found", and an unknown path is too.
        return True

    def _should_add_http429_error_response(self) -> bool:
        # Daily limits and sign-in throttles answer 429 with Retry-After.
        return True


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}$", "example": "09:00"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in the person's own time zone, "HH:MM"."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)
