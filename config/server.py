"""`python -m config.server [daphne options] config.asgi:application`: Daphne, with request
bodies bounded while they arrive.

Daphne (Twisted) takes a request's whole body in, then queues all of it for the application,
before any of our code runs: a 200 MB body would cost the process 200 MB whatever the
application then answers (config.body_limit refuses it, but only afterwards). Here each HTTP
request counts its body as Twisted hands it over: a declared Content-Length over the limit
(REQUEST_BODY_MAX_BYTES) is answered 413 as soon as the headers are in, a chunked body the
moment it passes the limit, and the connection is closed, so the rest is never read.
Every other option and behaviour is Daphne's own.
"""

from daphne import http_protocol
from daphne.cli import CommandLineInterface
from django.conf import settings


class BoundedRequest(http_protocol.WebRequest):
    refused = False
    body_bytes = 0

    def gotLength(self, length):
        super().gotLength(length)
        if length is not None and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            self.refuse()

    def handleContentChunk(self, data):
        if self.refused:
            return
        self.body_bytes += len(data)
        if self.body_bytes > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            self.refuse()
            return
        super().handleContentChunk(data)

    def process(self):
        if not self.refused:
            return super().process()

    def refuse(self) -> None:
        """413 in the API's error body, then close: nothing more of this body is read."""
        from config.body_limit import REFUSAL  # needs Django set up, which loading the application does

        self.refused = True
        transport = self.channel.transport
        transport.write(
            b"HTTP/1.1 413 Content Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(REFUSAL), REFUSAL)
        )
        transport.loseConnection()


# Daphne's HTTP factory builds each request from this module attribute; nothing else changes.
http_protocol.WebRequest = BoundedRequest

if __name__ == "__main__":
    CommandLineInterface.entrypoint()
