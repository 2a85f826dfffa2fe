"""Posting to teams' chat channels: the worker's part.

Each visit of a channel either takes the post waiting for it (due again after a failure) or
makes the next one from the team's moments after the channel's marks, then sends it.

What is guaranteed:
- Each moment is taken into one post only: making a post and moving the marks past its moments
  commit together, and a channel has one post at a time, so posts arrive in order.
- A post is sent again only when its last attempt proved it did not arrive: the chat service
  answered with an error status, or no connection could be made. Before a send the post is
  marked `sending` (committed). A post still `sending` when its lease ends (the worker died
  mid-send), or whose send got no clear answer (no answer in time, a connection broken once
  the post was on its way), may have arrived, so it is dropped rather than posted twice.
  A moment is therefore posted at most once, and exactly once unless its send ends unanswered.
- A moment is taken only once it is SETTLE old: one whose transaction commits a little after
  its time is not passed by, and an acknowledgement hidden at once never leaves.

Failures are retried with backoff (from a minute, doubling, never sooner than Retry-After).
The MAX_FAILURES-th failure in a row, or an answer that the address no longer works (401, 403,
404, 410), turns the channel off (`failing`, with the reason for people) and drops its post,
until its lead connects it again or turns it back on (it then starts over from that moment).

Queries are a fixed number per channel visited, however many moments a post carries.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chat.formatting import post_body
from chat.models import Channel, Post
from chat.selectors import moments_for_channel
from chat.webhooks import SERVICES, Answer, send
from reflections import crypto

logger = logging.getLogger(__name__)

MOMENTS_PER_POST = 20
CHANNELS_PER_VISIT = 500
SETTLE = timedelta(seconds=30)
LEASE = timedelta(minutes=5)
MAX_FAILURES = 5
BACKOFF_FIRST_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600


def chat_post_due(*, now: datetime | None = None, seconds: float = 60, limit: int = CHANNELS_PER_VISIT) -> int:
    """Visit the channels with something to do, least recently visited first, for about
    `seconds` at most. Returns how many posts were tried."""
    now = now or timezone.now()
    stop = time.monotonic() + seconds
    _drop_unanswered(now)
    tried = 0
    for channel_id in _channels_to_visit(now, limit):
        taken = _take(channel_id, now)
        if taken is not None:
            _settle(taken, send(kind=taken.kind, url=taken.url, body=taken.post.body), now=now)
            tried += 1
        if time.monotonic() >= stop:
            break
    return tried


def _drop_unanswered(now: datetime) -> None:
    """Posts still `sending` past their lease: their worker stopped mid-send, and they may have arrived."""
    stuck = Post.objects.filter(status=Post.Status.SENDING, sending_until__lt=now)
    teams = list(stuck.values_list("channel__team_id", flat=True))
    if teams:
        stuck.delete()
        logger.warning("chat posts dropped, their send never answered (teams %s)", teams)


def _channels_to_visit(now: datetime, limit: int) -> list[int]:
    waiting = Q(post=None) | Q(post__status=Post.Status.PENDING, post__due_at__lte=now)
    channels = Channel.objects.filter(waiting, status=Channel.Status.ACTIVE).order_by("visited_at", "pk")
    return list(channels.values_list("pk", flat=True)[:limit])


@dataclass(frozen=True)
class Taken:
    post: Post
    kind: str
    url: str
    team_id: int


@transaction.atomic
def _take(channel_id: int, now: datetime) -> Taken | None:
    """The channel's post to send now, marked `sending` (made from the next moments if it had
    none), with where it goes; None when there is nothing to send."""
    channel = (
        Channel.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("team", "post")
        .filter(pk=channel_id, status=Channel.Status.ACTIVE)
        .first()
    )
    if channel is None:  # another worker has it, or it was turned off meanwhile
        return None
    Channel.objects.filter(pk=channel.pk).update(visited_at=now)
    try:
        url = crypto.decrypt(channel.url_ciphertext) if channel.url_ciphertext else ""
    except InvalidToken:
        _turn_off(channel.pk, "The webhook address can no longer be read (the server's keys changed). Connect again.")
        return None
    post = getattr(channel, "post", None)  # None when it has none (select_related found no row)
    if post is None:
        post = _compose(channel, now)
    elif post.status == Post.Status.PENDING and post.due_at <= now:
        post.status, post.sending_until = Post.Status.SENDING, now + LEASE
        post.save(update_fields=["status", "sending_until"])
    else:
        post = None
    return Taken(post, channel.kind, url, channel.team_id) if post is not None else None


def _compose(channel: Channel, now: datetime) -> Post | None:
    """The next post of the channel's moments, already `sending`, and the marks moved past them."""
    moments = moments_for_channel(channel=channel, until=now - SETTLE, limit=MOMENTS_PER_POST)
    feed_mark, (sessions_at, sessions_id) = moments.feed_mark, moments.sessions_mark
    marks = {
        "feed_mark_at": feed_mark.at,
        "feed_mark_source": feed_mark.source,
        "feed_mark_id": feed_mark.id,
        "sessions_mark_at": sessions_at,
        "sessions_mark_id": sessions_id,
    }
    if any(getattr(channel, field) != value for field, value in marks.items()):
        Channel.objects.filter(pk=channel.pk).update(**marks)
    if not moments.lines:
        return None
    return Post.objects.create(
        channel=channel,
        body=post_body(kind=channel.kind, team_name=channel.team.name, lines=moments.lines),
        moments=len(moments.lines),
        status=Post.Status.SENDING,
        sending_until=now + LEASE,
        due_at=now,
        created_at=now,
    )


@transaction.atomic
def _settle(taken: Taken, answer: Answer, *, now: datetime) -> None:
    """Record what became of the send, if the post is still this worker's (a lead who connected
    again, or disconnected, meanwhile dropped it: then the answer changes nothing)."""
    ours = Post.objects.select_for_update().filter(pk=taken.post.pk, status=Post.Status.SENDING).first()
    if ours is None:
        return
    service = SERVICES[taken.kind]
    if answer.outcome == Answer.SENT:
        ours.delete()
        Channel.objects.filter(pk=ours.channel_id).update(last_posted_at=now)
    elif answer.outcome == Answer.UNKNOWN:
        ours.delete()
        logger.warning(
            "chat post to team %s dropped, %s gave no clear answer: %s", taken.team_id, service, answer.detail
        )
    elif answer.outcome == Answer.REFUSED:
        _turn_off(
            ours.channel_id,
            f"{service} answered {answer.detail}: the webhook address no longer works (removed, or its "
            "channel archived). Connect the channel again with a new address.",
        )
    elif ours.failures + 1 >= MAX_FAILURES:
        _turn_off(
            ours.channel_id,
            f"The last {MAX_FAILURES} attempts to post failed (the last: {answer.detail}). Turn the channel "
            f"back on once {service} works again, or connect it again.",
        )
    else:
        ours.failures += 1
        ours.status, ours.sending_until, ours.last_error = Post.Status.PENDING, None, answer.detail[:120]
        ours.due_at = now + timedelta(seconds=_backoff_seconds(ours.failures, answer.retry_after))
        ours.save(update_fields=["failures", "status", "sending_until", "last_error", "due_at"])


def _turn_off(channel_id: int, reason: str) -> None:
    Post.objects.filter(channel_id=channel_id).delete()
    Channel.objects.filter(pk=channel_id).update(status=Channel.Status.FAILING, failure=reason[:300])
    logger.warning("chat channel %s turned off: %s", channel_id, reason)


def _backoff_seconds(failures: int, retry_after: int | None) -> int:
    """Doubling from a minute, capped at an hour; never sooner than the service's Retry-After.
    No jitter: each channel has one post at a time, so retries do not come in herds."""
    return max(min(BACKOFF_FIRST_SECONDS * 2 ** (failures - 1), BACKOFF_MAX_SECONDS), retry_after or 0)
