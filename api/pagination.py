"""Lists are cursor-paginated: {"results", "next", "previous"}. Cursors stay correct while
rows are added, and each page costs the same queries however deep it is.

Cursors are signed for the kind of list that gave them out, so a client can only hand back one
of those: anything else (garbage, a tampered or made-up position, a cursor of another kind of
list, one from before the secret key was rotated) is a 400 `invalid_cursor`, never a query.
`?limit=` is a whole number from 1; more than MAX_LIMIT reads as MAX_LIMIT; anything else is a
400 `invalid_limit`.
"""

from base64 import urlsafe_b64decode, urlsafe_b64encode
from urllib.parse import parse_qs, urlencode

from django.core import signing
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.utils.urls import replace_query_param

from common.errors import Invalid

MAX_LIMIT = 100
LIMIT_SCHEMA = {"type": "integer", "minimum": 1}
LIMIT_DESCRIPTION = f"Items per page, from 1; more than {MAX_LIMIT} reads as {MAX_LIMIT}."


def cursor_seal(text: str, *, kind: str) -> str:
    """An opaque cursor carrying `text`, that only lists of this kind accept back."""
    return signing.Signer(salt=f"api.pagination.{kind}").sign(urlsafe_b64encode(text.encode()).decode())


def cursor_open(cursor: str, *, kind: str) -> str:
    """The text a cursor of this kind carries, or a 400 `invalid_cursor`."""
    try:
        return urlsafe_b64decode(signing.Signer(salt=f"api.pagination.{kind}").unsign(cursor)).decode()
    except (signing.BadSignature, ValueError):
        raise Invalid(
            "This cursor was not given out by this list; start again from the first page.",
            code="invalid_cursor",
            field="cursor",
        ) from None


def page_size(request, *, default: int) -> int:
    """The `?limit=` asked for: ASCII digits only (no "²", no "٣"), at least 1, clamped to MAX_LIMIT."""
    value = request.query_params.get("limit")
    if value is None:
        return default
    digits = value.lstrip("0")
    if not (value.isascii() and value.isdigit() and digits):
        raise Invalid(f"A whole number from 1 (at most {MAX_LIMIT} are given).", code="invalid_limit", field="limit")
    # By length first: int() of thousands of digits is slow, and refused beyond 4,300.
    return MAX_LIMIT if len(digits) > len(str(MAX_LIMIT)) else min(int(digits), MAX_LIMIT)


class Cursored(CursorPagination):
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT

    def get_page_size(self, request):
        return page_size(request, default=self.page_size)

    def encode_cursor(self, cursor: Cursor) -> str:
        tokens = {"o": cursor.offset, "r": int(cursor.reverse), "p": cursor.position}
        text = urlencode({key: value for key, value in tokens.items() if value})
        return replace_query_param(self.base_url, self.cursor_query_param, cursor_seal(text, kind=type(self).__name__))

    def decode_cursor(self, request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        tokens = parse_qs(cursor_open(encoded, kind=type(self).__name__))
        return Cursor(
            offset=int(tokens.get("o", ["0"])[0]),
            reverse=bool(int(tokens.get("r", ["0"])[0])),
            position=tokens.get("p", [None])[0],
        )

    def get_schema_operation_parameters(self, view):
        return [
            {**parameter, "schema": LIMIT_SCHEMA, "description": LIMIT_DESCRIPTION}
            if parameter["name"] == self.page_size_query_param
            else parameter
            for parameter in super().get_schema_operation_parameters(view)
        ]


class NewestFirst(Cursored):
    ordering = "-id"
    page_size = 20


class NewestWrittenFirst(NewestFirst):
    """The journal: by when an entry was written on the phone, which may be before it arrived."""

    ordering = ("-occurred_at", "-id")


class InOrder(Cursored):
    """For short, stable lists (the catalogue, one's teams): usually a single page."""

    ordering = "id"
    page_size = 100


class ThemeOrder(InOrder):
    ordering = ("position", "id")


class RecentlySent(NewestFirst):
    """The inbox: by when a nudge reached the person, not when it was planned."""

    ordering = ("-sent_at", "-id")
