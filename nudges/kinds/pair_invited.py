"""At once, to the partner, when a colleague invites them to a pair exercise; not once the
invitation is answered, cancelled or expired."""

from django.utils.translation import gettext as _

from nudges.kinds.base import NudgeKind, Text, facts_with_the_exercise_in_their_language
from nudges.models import Kind
from pairs.selectors import pair_is_open


def still_relevant(*, nudge, user, local) -> str:
    return "" if pair_is_open(pair_id=nudge.context["pair_id"]) else "invitation_closed"


def text(facts: dict) -> Text:
    return Text(
        _("%(name)s invited you to a pair exercise") % {"name": facts["invited_by"]},
        _("%(title)s, just the two of you. Answer when you are ready.") % {"title": facts["title"]},
    )


KIND = NudgeKind(
    name=Kind.PAIR_INVITED,
    preference="pair_invited",
    text=text,
    facts=facts_with_the_exercise_in_their_language,
    still_relevant=still_relevant,
    collapse_key="pair_invited",
)
