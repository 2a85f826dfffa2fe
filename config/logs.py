"""Logs: every line carries the id of the request it belongs to, and in production each line
is one JSON object. Log calls pass ids, never reflection text or tokens."""

import contextvars
import json
import logging
import re
import uuid

request_id = contextvars.ContextVar("request_id", default="-")
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_middleware(get_response):
    """Takes a sane X-Request-ID from the load balancer, or makes one; echoes it back."""

    def middleware(request):
        offered = request.headers.get("X-Request-ID", "")
        # Not reset on the way out: Django logs a 4xx or 5xx after the middleware returns, and
        # that line must carry the id too. The next request sets its own.
        request_id.set(offered if _ACCEPTABLE.match(offered) else uuid.uuid4().hex)
        response = get_response(request)
        response["X-Request-ID"] = request_id.get()
        return response

    return middleware


def install() -> None:
    """Every log record, from any logger or handler, gets the current request id."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "adds_request_id", False):
        return

    def with_request_id(*args, **kwargs):
        record = make_record(*args, **kwargs)
        record.request_id = request_id.get()
        return record

    with_request_id.adds_request_id = True
    logging.setLogRecordFactory(with_request_id)


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)
