"""To the team's leads when a claim is handed back or reopened: how a lead reacts to an
initiative that did not work out decides whether the next one happens."""

from django.utils.translation import gettext as _

from common.errors import NotFound
from exercises.selectors import exercise_get, text_in
from nudges.kinds.base import NudgeKind, Text
from nudges.models import Kind

# The content pack's exercise for leads on reacting to an initiative that went wrong.
SUGGESTED_EXERCISE = "rehearse-your-reaction"


def facts(*, nudge, user, local) -> dict:
    try:
        exercise = exercise_get(slug=SUGGESTED_EXERCISE, organisation_id=user.organisation_id)
    except NotFound:
        return {**nudge.context, "exercise": ""}
    return {**nudge.context, "exercise": text_in(item=exercise, field="title", locale=user.locale)}


def text(facts: dict) -> Text:
    body = _('"%(title)s" is open again.') % {"title": facts["title"]}
    if facts["exercise"]:
        body += " " + _('How you react decides whether the next one is tried: "%(exercise)s" helps.') % {
            "exercise": facts["exercise"]
        }
    else:
        body += " " + _("How you react decides whether the next one is tried.")
    return Text(_("A claim was handed back"), body)


KIND = NudgeKind(
    name=Kind.CLAIM_HANDED_BACK,
    preference="claim_handed_back",
    text=text,
    facts=facts,
    collapse_key="claim_handed_back",
)
