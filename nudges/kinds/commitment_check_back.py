"""To the volunteer at 10:00 local on the day they said they would check back: their open
commitments, and the orphans they claimed with that date."""

from datetime import date, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from commitments.selectors import check_backs_due, volunteers_checking_back
from nudges.kinds.base import NudgeKind, Text, ten_each_morning
from nudges.models import Kind
from orphans.selectors import claimants_checking_back, claims_to_check_back


def _due(user, day: date) -> list[str]:
    return check_backs_due(user=user, day=day) + claims_to_check_back(user=user, day=day)


def who(people, now):
    # Wide enough for every time zone's today and tomorrow; the day itself is checked when due.
    first, last = now.date() - timedelta(days=1), now.date() + timedelta(days=2)
    return people.filter(
        Q(pk__in=volunteers_checking_back(first=first, last=last))
        | Q(pk__in=claimants_checking_back(first=first, last=last))
    )


def still_relevant(*, nudge, user, local) -> str:
    return "" if _due(user, nudge.planned_for) else "nothing_due"


def facts(*, nudge, user, local) -> dict | None:
    due = _due(user, nudge.planned_for)
    return {"what": due[0], "more": len(due) - 1} if due else None


def text(facts: dict) -> Text:
    body = _('Today is the day you said you would check back on "%(what)s".') % {"what": facts["what"]}
    if facts["more"]:
        body += " " + _("And %(more)d more.") % {"more": facts["more"]}
    return Text(_("Time to check back"), body)


KIND = NudgeKind(
    name=Kind.COMMITMENT_CHECK_BACK,
    preference="commitment_check_back",
    text=text,
    facts=facts,
    still_relevant=still_relevant,
    schedule=ten_each_morning(who),
    collapse_key="commitment_check_back",
)
