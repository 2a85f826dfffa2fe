"""Many HTTP POSTs at once, as concurrent streams on one HTTP/2 connection that stays open from
call to call: libcurl (through pycurl), which does it in C. The push backend's transport; it
knows nothing of FCM (nudges/push.py does)."""

import threading
from dataclasses import dataclass
from io import BytesIO

import certifi
import pycurl

# The certificate authorities libcurl trusts: the ones `requests` uses.
CA_BUNDLE = certifi.where()


@dataclass(frozen=True)
class Answer:
    """What came back for one request: an HTTP status and body, or `failure`, libcurl's error
    number and message when no HTTP answer came (timeout, connection refused or reset...)."""

    status: int
    body: bytes
    raw_headers: bytes
    failure: tuple[int, str] | None = None

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The header fields of the last response (an interim `100 Continue` may come first)."""
        lines = self.raw_headers.decode("latin-1").split("\r\n")
        last = max((i for i, line in enumerate(lines) if line.startswith("HTTP/")), default=-1)
        return [
            (name.strip(), value.strip())
            for name, _, value in (line.partition(":") for line in lines[last + 1 :])
            if value
        ]


class Connection:
    """Requests to one origin, multiplexed. Over https, HTTP/2 is agreed in the TLS handshake
    (ALPN); a server that offers only HTTP/1.1 gets the same requests on parallel connections."""

    def __init__(self):
        self._multi = pycurl.CurlMulti()
        self._multi.setopt(pycurl.M_PIPELINING, pycurl.PIPE_MULTIPLEX)
        self._lock = threading.Lock()  # libcurl's handles are not for two threads at once

    def post_all(self, url: str, *, headers: dict[str, str], bodies: list[bytes], timeout: float) -> list[Answer]:
        """POST each body to `url` at once; each request ends within `timeout` seconds."""
        # "Expect:" alone: never wait for an HTTP/1.1 server's `100 Continue` before a body.
        fields = [f"{name}: {value}" for name, value in headers.items()] + ["Expect:"]
        with self._lock:
            transfers = []
            try:
                transfers.extend(self._start(url, fields, body, timeout) for body in bodies)
                failures = self._run(transfers)
                return [_answer(transfer, failures.get(transfer)) for transfer in transfers]
            finally:
                for transfer in transfers:
                    self._multi.remove_handle(transfer)
                    transfer.close()

    def _start(self, url: str, fields: list[str], body: bytes, timeout: float) -> pycurl.Curl:
        transfer = pycurl.Curl()
        transfer.setopt(pycurl.URL, url)
        transfer.setopt(pycurl.HTTPHEADER, fields)
        transfer.setopt(pycurl.POSTFIELDS, body)
        transfer.setopt(pycurl.CAINFO, CA_BUNDLE)
        transfer.setopt(pycurl.TIMEOUT_MS, int(timeout * 1000))
        transfer.setopt(pycurl.PIPEWAIT, 1)  # wait to share the connection rather than open another
        transfer.body, transfer.raw_headers = BytesIO(), BytesIO()
        transfer.setopt(pycurl.WRITEDATA, transfer.body)
        transfer.setopt(pycurl.WRITEHEADER, transfer.raw_headers)
        self._multi.add_handle(transfer)
        return transfer

    def _run(self, transfers: list[pycurl.Curl]) -> dict[pycurl.Curl, tuple[int, str]]:
        """Drive the transfers to their end; returns those that failed below HTTP."""
        running = len(transfers)
        while running:
            _, running = self._multi.perform()
            if running:
                wait = self._multi.timeout()  # when libcurl next needs to act, in ms (-1: no timer)
                self._multi.select(wait / 1000 if wait >= 0 else 1.0)
        failures, queued = {}, 1
        while queued:
            queued, _, failed = self._multi.info_read()
            failures.update((transfer, (errno, message)) for transfer, errno, message in failed)
        return failures


def _answer(transfer: pycurl.Curl, failure: tuple[int, str] | None) -> Answer:
    return Answer(
        status=transfer.getinfo(pycurl.RESPONSE_CODE),
        body=transfer.body.getvalue(),
        raw_headers=transfer.raw_headers.getvalue(),
        failure=failure,
    )
