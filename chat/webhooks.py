"""Incoming webhooks: which addresses a team may give, how they are shown, and one post sent.

Only https addresses on the chat services' own hosts are taken, on the standard port, with no
user name and no redirect followed: the worker posts to the address a lead typed, and anything
else (an internal address, another port, a redirect) would let that lead make the server call
into its own network.
"""

import logging
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import requests
from urllib3.exceptions import MaxRetryError

from chat.models import Channel
from common.errors import Invalid

logger = logging.getLogger(__name__)

# A host named here exactly, or ending with one that starts with a dot.
HOSTS = {
    Channel.Kind.SLACK: ("hooks.slack.com",),
    # Office 365 connectors, and Workflows (Power Automate) webhooks, old and new.
    Channel.Kind.TEAMS: (".webhook.office.com", ".logic.azure.com", ".powerplatform.com"),
}
SERVICES = {Channel.Kind.SLACK: "Slack", Channel.Kind.TEAMS: "Microsoft Teams", Channel.Kind.CONSOLE: "The console"}
URL_MAX_LENGTH = 2000
# Seconds to connect, then to hear the answer: a post is small, and the worker has others to send.
TIMEOUT = (5, 10)
# The chat service says the address itself no longer works (removed, revoked, channel archived).
GONE = (401, 403, 404, 410)
# Longer waits than this asked by Retry-After are cut to it.
RETRY_AFTER_MAX_SECONDS = 24 * 3600


def _allowed_host(kind: str, host: str) -> bool:
    return any(
        host.endswith(allowed) and len(host) > len(allowed) if allowed.startswith(".") else host == allowed
        for allowed in HOSTS[kind]
    )


def _parts(url: str) -> SplitResult | None:
    # Python's parser quietly drops tabs and newlines, so such characters are refused first.
    if not url.isascii() or not url.isprintable() or " " in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    return parts if port in (None, 443) else None


def webhook_url_checked(*, kind: str, url: str) -> str:
    """The address, if it is a webhook of that chat service; else 400 `webhook_url_refused`."""
    url = url.strip()
    parts = _parts(url) if len(url) <= URL_MAX_LENGTH else None
    if (
        parts is None
        or parts.scheme != "https"
        or parts.username is not None
        or parts.password is not None
        or not _allowed_host(kind, parts.hostname or "")
        or parts.path.strip("/") == ""
        or parts.fragment
    ):
        raise Invalid(
            f"Give the https address of an incoming webhook that {SERVICES[kind]} made for the channel.",
            code="webhook_url_refused",
            field="url",
        )
    return url


def masked(url: str) -> str:
    """Enough to recognise the address by, never enough to post with."""
    return f"https://{urlsplit(url).hostname}/…{url[-4:]}"


@dataclass(frozen=True)
class Answer:
    outcome: str
    detail: str = ""
    retry_after: int | None = None

    SENT = "sent"
    FAILED = "failed"  # it did not arrive: send it again later
    REFUSED = "refused"  # the address no longer works: stop
    UNKNOWN = "unknown"  # it may have arrived: never send it again


def _retry_after(response: requests.Response) -> int | None:
    value = response.headers.get("Retry-After", "").strip()
    return min(int(value), RETRY_AFTER_MAX_SECONDS) if value.isdigit() else None


def send(*, kind: str, url: str, body: dict) -> Answer:
    """Post one message and say what became of it."""
    if kind == Channel.Kind.CONSOLE:
        logger.info("chat post (console):\n%s", body["text"])
        return Answer(Answer.SENT)
    try:
        with requests.post(url, json=body, timeout=TIMEOUT, allow_redirects=False, stream=True) as response:
            status = response.status_code
            retry_after = _retry_after(response)
    except requests.ConnectionError as error:
        # No connection was made (refused, unresolved, timed out connecting, TLS refused), so
        # the post did not arrive. A connection that broke once the post was sent may have.
        if error.args and isinstance(error.args[0], MaxRetryError):
            return Answer(Answer.FAILED, "could not connect")
        return Answer(Answer.UNKNOWN, "the connection broke")
    except requests.RequestException as error:  # no answer in time, or a broken one, after sending
        return Answer(Answer.UNKNOWN, type(error).__name__)
    if 200 <= status < 300:
        return Answer(Answer.SENT)
    if status in GONE:
        return Answer(Answer.REFUSED, f"HTTP {status}")
    return Answer(Answer.FAILED, f"HTTP {status}", retry_after=retry_after)
