"""Reads for a team's chat channel: who may see and change it, and the moments it has still
to post.

The moments are the team feed's (feed.selectors.feed_since: the very items members see there)
and its sessions going live (group_sessions.selectors.sessions_opened), read forward from the
channel's marks."""

from dataclasses import dataclass
from datetime import datetime

from accounts.models import User
from chat.formatting import Line, feed_line, session_line
from chat.models import Channel
from common.errors import NotAllowed, NotFound
from feed.selectors import FeedItem, Position, feed_since
from group_sessions.selectors import sessions_opened
from teams.models import Membership, Team


def team_for_channel_keeper(*, user: User, team_id: int) -> Team:
    """The team, if this person may connect, see and disconnect its chat channel: its lead.
    Other members are refused (403 `not_team_lead`); anyone else does not see the team (404)."""
    membership = Membership.objects.filter(team_id=team_id, user=user).select_related("team").first()
    if membership is None:
        raise NotFound("No such team among yours.", code="team_not_found")
    if membership.role != Membership.Role.LEAD:
        raise NotAllowed("Only the team's lead manages its chat channel.", code="not_team_lead")
    return membership.team


def channel_for_keeper(*, user: User, team_id: int) -> Channel | None:
    """The team's channel as its lead sees it (None when none is connected)."""
    team_for_channel_keeper(user=user, team_id=team_id)
    return Channel.objects.filter(team_id=team_id).select_related("connected_by").first()


@dataclass(frozen=True)
class Moments:
    lines: list[Line]
    # How far the read got: the marks to keep, whether or not each item made a line.
    feed_mark: Position
    sessions_mark: tuple[datetime, int]


def moments_for_channel(*, channel: Channel, until: datetime, limit: int) -> Moments:
    """Up to `limit` of the team's moments after the channel's marks and by `until`, oldest
    first, as lines (feed items chat leaves to the feed take their place but make none)."""
    feed_mark = Position(channel.feed_mark_at, channel.feed_mark_source, channel.feed_mark_id)
    sessions_mark = (channel.sessions_mark_at, channel.sessions_mark_id)
    items = feed_since(
        team_id=channel.team_id,
        organisation_id=channel.team.organisation_id,
        after=feed_mark,
        until=until,
        limit=limit,
    )
    sessions = sessions_opened(team_id=channel.team_id, after=sessions_mark, until=until, limit=limit)
    timeline = sorted(
        [((item.position.at, 0, item.position.source, item.position.id), item) for item in items]
        + [((session.created_at, 1, 0, session.pk), session) for session in sessions],
        key=lambda entry: entry[0],
    )[:limit]
    lines = []
    for _, moment in timeline:
        if isinstance(moment, FeedItem):
            feed_mark = moment.position
            line = feed_line(moment)
        else:
            sessions_mark = (moment.created_at, moment.pk)
            line = session_line(moment)
        if line is not None:
            lines.append(line)
    return Moments(lines=lines, feed_mark=feed_mark, sessions_mark=sessions_mark)
