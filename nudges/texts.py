"""What a nudge says, in the person's language: short, kind, never guilt-tripping.

English and French through Django's translation machinery (nudges/locale/); the profile's
locale picks, falling back to English.
"""

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nudges.models import Kind


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def render(*, kind: str, locale: str, facts: dict) -> Text:
    with translation.override(locale.split("-")[0] if locale else "en"):
        return _TEXTS[kind](facts)


def _daily_exercise(facts) -> Text:
    return Text(
        _("Today's exercise"),
        _("%(title)s: %(minutes)d minutes, whenever suits you.") % {"title": facts["title"], "minutes": facts["minutes"]},
    )


def _reflect_after(facts) -> Text:
    return Text(_("A moment to reflect?"), _("How did that feel? A line or two in your journal is plenty."))


def _seen(facts) -> Text:
    count = facts["count"]
    title = ngettext("Someone saw you", "%(count)d colleagues saw you today", count) % {"count": count}
    return Text(title, _("Have a look at what they noticed."))


def _session_started(facts) -> Text:
    return Text(
        _("%(name)s started a group exercise") % {"name": facts["started_by"]},
        _("%(title)s with %(team)s. Join when you are ready.") % {"title": facts["title"], "team": facts["team"]},
    )


def _weekly_lookback(facts) -> Text:
    return Text(
        _("Your week"),
        _("%(exercises)d exercises done, %(acknowledgements)d colleagues seen. Thank you for showing up.")
        % {"exercises": facts["exercises"], "acknowledgements": facts["acknowledgements"]},
    )


def _reconnect(facts) -> Text:
    return Text(
        _("Thinking of %(name)s?") % {"name": facts["name"]},
        _("Noticed something %(name)s did lately? A short \"I see you\" goes a long way.") % {"name": facts["name"]},
    )


def _orphan_claimed(facts) -> Text:
    return Text(
        _("%(name)s said \"leave it with me\"") % {"name": facts["name"]},
        _("%(title)s is in good hands.") % {"title": facts["title"]},
    )


def _orphan_reminder(facts) -> Text:
    return Text(
        _("How is it going?"),
        _("You took on \"%(title)s\" a week ago. Need a hand, or is it fine to hand it back?") % {"title": facts["title"]},
    )


_TEXTS = {
    Kind.DAILY_EXERCISE: _daily_exercise,
    Kind.REFLECT_AFTER: _reflect_after,
    Kind.SEEN: _seen,
    Kind.SESSION_STARTED: _session_started,
    Kind.WEEKLY_LOOKBACK: _weekly_lookback,
    Kind.RECONNECT: _reconnect,
    Kind.ORPHAN_CLAIMED: _orphan_claimed,
    Kind.ORPHAN_REMINDER: _orphan_reminder,
}
