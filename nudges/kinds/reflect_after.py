"""30 minutes after a completed run or a live session, unless they reflected on it."""

from django.utils.translation import gettext as _

from nudges.kinds.base import NudgeKind, Text
from nudges.models import Kind
from reflections.selectors import has_reflected_on


def still_relevant(*, nudge, user, local) -> str:
    cause = nudge.context
    if has_reflected_on(author=user, run_id=cause.get("run_id"), session_id=cause.get("session_id")):
        return "already_reflected"
    return ""


def text(facts: dict) -> Text:
    return Text(_("A moment to reflect?"), _("How did that feel? A line or two in your journal is plenty."))


KIND = NudgeKind(
    name=Kind.REFLECT_AFTER,
    preference="reflect_after",
    text=text,
    still_relevant=still_relevant,
    collapse_key="reflect_after",
)
