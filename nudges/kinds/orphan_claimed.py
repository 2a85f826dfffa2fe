"""At once, to the poster, when a teammate says "leave it with me"; not once it is given back."""

from django.utils.translation import gettext as _

from nudges.kinds.base import NudgeKind, Text
from nudges.models import Kind
from orphans.selectors import orphan_is_claimed


def still_relevant(*, nudge, user, local) -> str:
    return "" if orphan_is_claimed(orphan_id=nudge.context["orphan_id"]) else "no_longer_claimed"


def text(facts: dict) -> Text:
    return Text(
        _('%(name)s said "leave it with me"') % {"name": facts["name"]},
        _("%(title)s is in good hands.") % {"title": facts["title"]},
    )


KIND = NudgeKind(
    name=Kind.ORPHAN_CLAIMED,
    preference="orphan_claimed",
    text=text,
    still_relevant=still_relevant,
    collapse_key="orphan_claimed",
)
