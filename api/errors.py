"""One error body for the whole API (drf-standardized-errors' shape):

    {"type": "validation_error" | "client_error" | "server_error",
     "errors": [{"code": "...", "detail": "...", "attr": "field or null"}]}

Business rules raise common.errors; this door turns them into that body and a status code.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status
from rest_framework_simplejwt.exceptions import InvalidToken

from common import errors

TOO_LARGE = ("request_too_large", "The request body is larger than this server accepts.")


class _Status(exceptions.APIException):
    def __init__(self, detail, code, status_code):
        super().__init__(detail, code)
        self.status_code = status_code


_STATUS = {
    errors.NotFound: status.HTTP_404_NOT_FOUND,
    errors.Unauthenticated: status.HTTP_401_UNAUTHORIZED,
    errors.NotAllowed: status.HTTP_403_FORBIDDEN,
    errors.Conflict: status.HTTP_409_CONFLICT,
    errors.Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def as_api_exception(error: errors.DomainError) -> exceptions.APIException:
    if isinstance(error, errors.LimitReached):
        return exceptions.Throttled(wait=error.retry_after, detail=error.message, code=error.code)
    if error.field and isinstance(error, (errors.Invalid, errors.NotFound)):
        return exceptions.ValidationError({error.field: [exceptions.ErrorDetail(error.message, error.code)]})
    return _Status(error.message, error.code, _STATUS.get(type(error), status.HTTP_400_BAD_REQUEST))


class HumbleExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, errors.DomainError):
            return as_api_exception(exc)
        if isinstance(exc, InvalidToken):
            # simplejwt's own refusal (refresh, sign-out) lists every token class it tried, as
            # entries with made-up attrs; a client needs one answer: this token is done with.
            return exceptions.AuthenticationFailed(
                "The token is not valid or has expired; sign in again.", "token_invalid"
            )
        if isinstance(exc, RequestDataTooBig):
            return _Status(TOO_LARGE[1], TOO_LARGE[0], status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        return super().convert_known_exceptions(exc)

    def report_exception(self, exc, response) -> None:
        # A business rule saying "unavailable" (503) is an answer, not a crash to report.
        if not isinstance(self.exc, errors.DomainError):
            super().report_exception(exc, response)


def error_body(status_code: int, code: str, detail: str) -> dict:
    """The error body for an answer given outside DRF (Django's handlers, the ASGI body limit)."""
    kind = "server_error" if status_code >= 500 else "client_error"
    return {"type": kind, "errors": [{"code": code, "detail": detail, "attr": None}]}


def _error(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, detail), status=status_code)


def not_found(request, exception=None):
    """Unknown paths answer in the API's error shape, never with an HTML page."""
    return _error(404, "not_found", "No such path.")


def server_error(request):
    # Says nothing of what failed: the exception may carry private text.
    return _error(500, "error", "Something went wrong on our side.")


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):  # a form post over DATA_UPLOAD_MAX_MEMORY_SIZE
        return _error(413, *TOO_LARGE)
    return _error(400, "bad_request", "Bad request.")


def permission_denied(request, exception=None):
    return _error(403, "permission_denied", "You may not do this.")
