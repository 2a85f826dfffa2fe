"""Errors that business rules raise. Doors translate them: the API into a 4xx with the
standard error body, the realtime door into an error frame. Each carries a stable code that
clients can switch on, one of the catalogue in common/error_codes.py."""

from common.error_codes import ERROR_CODES


class DomainError(Exception):
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if self.code not in ERROR_CODES:
            # Like an unknown event type: a code clients cannot know about is a bug, not an answer.
            raise ValueError(f"Error code {self.code!r} is not in common/error_codes.py.")
        self.field = field


class Invalid(DomainError):
    """The request makes no sense for this state or input (400)."""


class NotFound(DomainError):
    """Missing, or not visible to this person: the two are deliberately the same (404).

    With a field, it is the request that names something unknown (400 on that field)."""

    code = "not_found"


class Unauthenticated(DomainError):
    """The credential offered does not prove who this is (401)."""

    code = "authentication_failed"


class NotAllowed(DomainError):
    """Visible to this person, but this action is not theirs to take (403)."""

    code = "permission_denied"


class Conflict(DomainError):
    """The action clashes with the current state (409)."""

    code = "conflict"


class LimitReached(DomainError):
    """A sensible limit was reached; it lifts after retry_after seconds (429)."""

    code = "limit_reached"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A service this needs is not configured or not reachable (503)."""

    code = "unavailable"
