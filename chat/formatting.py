"""What a post says, and how each chat service is sent it.

A moment is one line of runs of text, names in bold. Slack gets Block Kit rich text and
Microsoft Teams an Adaptive Card of rich text blocks: in both, runs are literal text, never
markup, so nobody's name or title can format, link or mention anything. Only Slack's
notification text is markup (mrkdwn), and it is escaped.

What is posted is what the team already sees on its feed, and less: who did what, never the
words of an acknowledgement (a shout-out's words are a share's, said in a session), never an
agreement's text, never a problem's title when it came from a session's share, and only names
the feed shows (a share's anonymous author never becomes a name anywhere).
"""

from dataclasses import dataclass

from accounts.models import User
from accounts.presenters import public_person
from acknowledgements.models import Acknowledgement
from agreements.models import Agreement
from chat.models import Channel
from feed.selectors import FeedItem
from group_sessions.models import GroupSession


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False


Line = tuple[Run, ...]

AGREEMENT_NAMES = {
    Agreement.Kind.CONTRIBUTION: "contribution agreement",
    Agreement.Kind.PURPOSE: "purpose",
    Agreement.Kind.WORKING_NORM: "working norms",
    Agreement.Kind.INITIATIVE_FRAME: "frame for initiative",
}
FROM_A_SESSION = "a problem raised in a live session"


def _name(user: User | None, nobody: str) -> Run:
    return Run(public_person(user)["display_name"], bold=True) if user is not None else Run(nobody)


def _problem(orphan) -> Run:
    return Run(FROM_A_SESSION) if orphan.session_id else Run(f"“{orphan.title}”")


def feed_line(item: FeedItem) -> Line | None:
    """The line a feed item makes in chat; None for the kinds chat leaves to the feed."""
    if item.type == "acknowledgement":
        acknowledgement = item.acknowledgement
        behaviour = Acknowledgement.Behaviour(acknowledgement.behaviour).label
        return (
            _name(acknowledgement.sender, "Someone"),
            Run(" acknowledged "),
            _name(acknowledgement.recipient, "someone"),
            Run(f" ({behaviour})"),
        )
    if item.type == "orphan.claimed":
        return (
            _name(item.activity.actor, "Someone"),
            Run(" said “leave it with me” about "),
            _problem(item.activity.orphan),
        )
    if item.type == "orphan.done":
        return (_name(item.activity.actor, "Someone"), Run(" solved "), _problem(item.activity.orphan))
    if item.type == "agreement.adopted":
        version = item.version
        return (
            _name(version.adopted_by, "The team"),
            Run(f" adopted version {version.number} of the team's {AGREEMENT_NAMES[version.agreement.kind]}"),
        )
    return None


def session_line(session: GroupSession) -> Line:
    if session.started_by is None:
        return (Run("A live session started: "), Run(session.exercise.title, bold=True))
    return (_name(session.started_by, ""), Run(" started a live session: "), Run(session.exercise.title, bold=True))


def greeting(team_name: str) -> Line:
    return (
        Run(f"Humble will post {team_name}'s moments here: acknowledgements shared with the team, "),
        Run("problems taken on and solved, agreements adopted and live sessions starting. "),
        Run("Nothing private is ever posted."),
    )


def _plain(line: Line) -> str:
    return "".join(run.text for run in line)


def _slack_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack(team_name: str, lines: list[Line]) -> dict:
    def section(line: Line) -> dict:
        runs = [{"type": "text", "text": run.text, **({"style": {"bold": True}} if run.bold else {})} for run in line]
        return {"type": "rich_text_section", "elements": runs}

    return {
        "text": _slack_escaped(f"{team_name} in Humble: {_count(lines)}"),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"{team_name} in Humble"[:150]}},
            {
                "type": "rich_text",
                "elements": [
                    {"type": "rich_text_list", "style": "bullet", "elements": [section(line) for line in lines]}
                ],
            },
        ],
    }


def _teams(team_name: str, lines: list[Line]) -> dict:
    def block(runs: Line, **style) -> dict:
        inlines = [{"type": "TextRun", "text": run.text, **({"weight": "Bolder"} if run.bold else {})} for run in runs]
        return {"type": "RichTextBlock", "inlines": inlines, **style}

    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [block((Run(f"{team_name} in Humble", bold=True),)), *(block(line, separator=True) for line in lines)],
    }
    return {
        "type": "message",
        "summary": f"{team_name} in Humble: {_count(lines)}",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _console(team_name: str, lines: list[Line]) -> dict:
    return {"text": "\n".join([f"{team_name} in Humble", *(f"- {_plain(line)}" for line in lines)])}


def _count(lines: list[Line]) -> str:
    return "1 moment" if len(lines) == 1 else f"{len(lines)} moments"


BODIES = {Channel.Kind.SLACK: _slack, Channel.Kind.TEAMS: _teams, Channel.Kind.CONSOLE: _console}


def post_body(*, kind: str, team_name: str, lines: list[Line]) -> dict:
    """The request body of one post of these lines, in that chat service's format."""
    return BODIES[kind](team_name, lines)
