"""How the OpenAPI schema describes the API: operations by area, and errors in one body shape.

Each operation is tagged with its area (the api module that serves it) and summarised by the
first paragraph of its handler's docstring, or else its view's: a docstring is the one place
an operation is described, for readers of the code and of the schema alike.

Business rules answer with their own stable codes (`team_not_found`, `stale_version`, …), so
error codes are documented as strings rather than as the framework's fixed enumerations, and
the statuses the rules can produce (403, 404, 409, 429, 503) are documented on every operation
that can reach a rule. Where an operation's codes at one status are a closed set that a client
should handle case by case (the conflicts), `refusals` documents them as an enum.
"""

import importlib

from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
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


# An area's tag is its module's name, but where the product says it differently.
AREA_OF_MODULE = {"group_sessions": "sessions"}


def area_of(view) -> str:
    module = type(view).__module__.rpartition(".")[2]
    return AREA_OF_MODULE.get(module, module)


def _paragraphs(doc: str) -> list[str]:
    return [" ".join(paragraph.split()) for paragraph in doc.split("\n\n") if paragraph.strip()]


class AutoSchema(StandardizedErrorsSchema):
    def get_tags(self) -> list[str]:
        return [area_of(self.view)]

    def _docstring(self) -> list[str]:
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        return _paragraphs(get_doc(handler) or get_doc(type(self.view)))

    def get_summary(self) -> str | None:
        paragraphs = self._docstring()
        return paragraphs[0] if paragraphs else None

    def get_description(self) -> str:
        return "\n\n".join(self._docstring()[1:])

    def get_request_serializer(self):
        # A DELETE has a body only where its view declares one (extend_schema's request wins).
        return None if self.method == "DELETE" else super().get_request_serializer()

    def _get_request_body(self, direction="request"):
        # drf-spectacular documents a body for PUT, PATCH and POST only; OpenAPI 3 allows one on
        # DELETE, and `DELETE me` takes one (what proves an erasure), declared with extend_schema.
        if self.method != "DELETE" or self.get_request_serializer() is None:
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

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


def refusals(status: int, *codes: str) -> dict:
    """For extend_schema's responses: this status answers with one of these codes only."""
    error = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "enum": list(codes)},
            "detail": {"type": "string"},
            "attr": {"type": "string", "nullable": True},
        },
        "required": ["code", "detail", "attr"],
    }
    body = {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["client_error"]},
            "errors": {"type": "array", "items": error},
        },
        "required": ["type", "errors"],
    }
    return {status: OpenApiResponse(body, description=", ".join(f"`{code}`" for code in codes))}


# A creation retried with another body under the same client_id (common.idempotency).
IDEMPOTENCY_CONFLICT = refusals(409, "idempotency_conflict")


def describe_areas(result: dict, generator, request, public) -> dict:
    """Post-processing hook: each tag in use, described by its api module's docstring."""
    modules = {area: module for module, area in AREA_OF_MODULE.items()}
    used = sorted({tag for operations in result["paths"].values() for op in operations.values() for tag in op["tags"]})
    result["tags"] = [
        {"name": tag, "description": _paragraphs(importlib.import_module(f"api.{modules.get(tag, tag)}").__doc__)[0]}
        for tag in used
    ]
    return result


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}$", "example": "09:00"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in the person's own time zone, "HH:MM"."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)
