"""To the claimant, ORPHAN_REMINDER_DAYS after claiming, if nothing has moved since."""

from datetime import datetime

from django.utils.translation import gettext as _

from nudges.kinds.base import NudgeKind, Text
from nudges.models import Kind
from orphans.selectors import claim_is_quiet


def still_relevant(*, nudge, user, local) -> str:
    claimed_at = datetime.fromisoformat(nudge.context["claimed_at"])
    if claim_is_quiet(orphan_id=nudge.context["orphan_id"], claimant=user, since=claimed_at):
        return ""
    return "moved_on"


def text(facts: dict) -> Text:
    return Text(
        _("How is it going?"),
        _('You took on "%(title)s" a week ago. Need a hand, or is it fine to hand it back?')
        % {"title": facts["title"]},
    )


KIND = NudgeKind(
    name=Kind.ORPHAN_REMINDER,
    preference="orphan_reminder",
    text=text,
    still_relevant=still_relevant,
    collapse_key="orphan_reminder",
)
