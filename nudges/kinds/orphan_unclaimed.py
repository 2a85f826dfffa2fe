"""To the team's leads when an orphan has been open a week and nobody has said "leave it with me"."""

from django.utils.translation import gettext as _

from nudges.kinds.base import NudgeKind, Text
from nudges.models import Kind
from orphans.selectors import orphan_is_open


def still_relevant(*, nudge, user, local) -> str:
    return "" if orphan_is_open(orphan_id=nudge.context["orphan_id"]) else "claimed"


def text(facts: dict) -> Text:
    return Text(
        _("Still nobody's"),
        _('"%(title)s" has waited a week for someone to take it on. Worth raising with the team?')
        % {"title": facts["title"]},
    )


KIND = NudgeKind(
    name=Kind.ORPHAN_UNCLAIMED,
    preference="orphan_unclaimed",
    text=text,
    still_relevant=still_relevant,
    collapse_key="orphan_unclaimed",
)
