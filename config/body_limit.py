"""An HTTP request body over the limit is refused with a 413 before the application reads it.

Django's ASGI handler reads the whole body into a file before any view runs, so its own check
(DATA_UPLOAD_MAX_MEMORY_SIZE, made a 413 by api.errors) comes after the server has taken it
all in. This ASGI middleware sits in front of it: a declared Content-Length over the limit is
refused at once, without reading a byte; a body of undeclared length (chunked) is counted as it
arrives, and reading stops at the limit.

Daphne (Twisted) takes a request's whole body in before it calls the application at all; run
as `python -m config.server` (as `make run` and the README's recipe do), it refuses an
oversized body while it arrives, so this layer is the second line, for any other ASGI server.
"""

import json

from django.conf import settings

from api.errors import TOO_LARGE, error_body

REFUSAL = json.dumps(error_body(413, *TOO_LARGE)).encode()


class BodyLimit:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await self._refuse(send)
        received = 0
        over = False

        async def counted():
            nonlocal received, over
            message = await receive()
            received += len(message.get("body", b""))
            if message["type"] == "http.request" and received > limit:
                # To the application this is a client that went away: it stops reading and
                # answers nothing; the refusal is sent below.
                over = True
                return {"type": "http.disconnect"}
            return message

        await self.application(scope, counted, send)
        if over:
            await self._refuse(send)

    @staticmethod
    async def _refuse(send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(REFUSAL)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": REFUSAL})
