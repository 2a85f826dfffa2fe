"""At once, to the team, when the lead starts a live group exercise; not once it is over."""

from django.utils.translation import gettext as _

from group_sessions.selectors import session_is_live
from nudges.kinds.base import NudgeKind, Text, facts_with_the_exercise_in_their_language
from nudges.models import Kind


def still_relevant(*, nudge, user, local) -> str:
    return "" if session_is_live(session_id=nudge.context["session_id"]) else "session_over"


def text(facts: dict) -> Text:
    return Text(
        _("%(name)s started a group exercise") % {"name": facts["started_by"]},
        _("%(title)s with %(team)s. Join when you are ready.") % {"title": facts["title"], "team": facts["team"]},
    )


KIND = NudgeKind(
    name=Kind.SESSION_STARTED,
    preference="session_started",
    text=text,
    facts=facts_with_the_exercise_in_their_language,
    still_relevant=still_relevant,
    collapse_key="session_started",
)
