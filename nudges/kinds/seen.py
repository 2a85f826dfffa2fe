"""When acknowledged: all acknowledgements in one 10-minute window make one nudge."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.selectors import local_day_start
from acknowledgements.selectors import acknowledgers_count_since
from nudges.kinds.base import NudgeKind, Text
from nudges.models import Kind


def facts(*, nudge, user, local) -> dict:
    since = local_day_start(user=user, day=local.date())
    return {"count": max(acknowledgers_count_since(recipient=user, since=since), 1)}


def text(facts: dict) -> Text:
    count = facts["count"]
    title = ngettext("Someone saw you", "%(count)d colleagues saw you today", count) % {"count": count}
    return Text(title, _("Have a look at what they noticed."))


KIND = NudgeKind(name=Kind.SEEN, preference="seen", text=text, facts=facts, collapse_key="seen")
