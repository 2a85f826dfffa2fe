"""Writes for a team's chat channel: connecting it (again), turning it back on, disconnecting
it, and keeping its address under the current key. The posts themselves are chat.delivery's."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from chat.formatting import greeting, post_body
from chat.models import Channel, Post
from chat.selectors import team_for_channel_keeper
from chat.tasks import enqueue_posting
from chat.webhooks import masked, webhook_url_checked
from common.errors import Invalid, NotFound
from reflections import crypto
from teams.models import Team


def _from_now(now: datetime) -> dict:
    """A channel starting over: on, and its marks at `now`, so nothing older is posted."""
    return {
        "status": Channel.Status.ACTIVE,
        "failure": "",
        "feed_mark_at": now,
        "feed_mark_source": 0,
        "feed_mark_id": 0,
        "sessions_mark_at": now,
        "sessions_mark_id": 0,
    }


def _greet(channel: Channel, team: Team, now: datetime) -> None:
    """Drop any post still on its way, and send the greeting first: the lead sees it arrive
    (or the channel's status says why not)."""
    Post.objects.filter(channel=channel).delete()
    body = post_body(kind=channel.kind, team_name=team.name, lines=[greeting(team.name)])
    Post.objects.create(channel=channel, body=body, moments=0, due_at=now, created_at=now)
    transaction.on_commit(enqueue_posting)


@transaction.atomic
def chat_connect(*, user: User, team_id: int, kind: str, url: str = "") -> Channel:
    """The team's lead connects its chat channel through an incoming-webhook address, or
    connects it again (a new address, or the same one after it failed). Either way the channel
    starts over from now: moments before are not posted, and a post on its way is dropped.
    The console kind logs its posts and has no address."""
    team = team_for_channel_keeper(user=user, team_id=team_id)
    if kind not in Channel.Kind.values:
        raise Invalid("Unknown kind of chat.", code="invalid_choice", field="kind")
    url = "" if kind == Channel.Kind.CONSOLE else webhook_url_checked(kind=kind, url=url)
    now = timezone.now()
    channel, _ = Channel.objects.update_or_create(
        team=team,
        defaults={
            "kind": kind,
            "url_ciphertext": crypto.encrypt(url) if url else "",
            "url_hint": masked(url) if url else "",
            "connected_by": user,
            "connected_at": now,
            **_from_now(now),
        },
    )
    _greet(channel, team, now)
    return channel


@transaction.atomic
def chat_enable(*, user: User, team_id: int) -> Channel:
    """The lead turns a failing channel back on (the chat service works again) without giving
    its address again. It starts over from now, as when connected; an active one is left as it is."""
    team = team_for_channel_keeper(user=user, team_id=team_id)
    channel = Channel.objects.select_for_update().filter(team=team).first()
    if channel is None:
        raise NotFound("The team has no chat channel.", code="chat_not_connected")
    if channel.status == Channel.Status.FAILING:
        now = timezone.now()
        Channel.objects.filter(pk=channel.pk).update(**_from_now(now))
        _greet(channel, team, now)
    return Channel.objects.select_related("connected_by").get(pk=channel.pk)


@transaction.atomic
def chat_disconnect(*, user: User, team_id: int) -> None:
    """The lead disconnects the team's channel: its address is forgotten and nothing more is
    posted (a post already sent stays in the chat). Disconnecting none is no error."""
    team = team_for_channel_keeper(user=user, team_id=team_id)
    Channel.objects.filter(team=team).delete()


@transaction.atomic
def chat_keys_rotate() -> int:
    """Re-encrypt every channel's address under the first of REFLECTION_KEYS (the keys that
    also keep reflections; rotate_reflection_keys calls this); returns how many. One row per
    team at most, so one transaction."""
    channels = list(Channel.objects.select_for_update().exclude(url_ciphertext="").only("pk", "url_ciphertext"))
    for channel in channels:
        channel.url_ciphertext = crypto.reencrypt(channel.url_ciphertext)
    Channel.objects.bulk_update(channels, ["url_ciphertext"], batch_size=500)
    return len(channels)
