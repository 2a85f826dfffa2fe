"""To a team's members at 10:00 local on an agreement's review date: is it still what we agree?
Its lead is also offered the group exercise the team would write it with."""

from datetime import timedelta

from django.utils.translation import gettext as _

from agreements.selectors import agreements_due_for_review, members_reviewing
from exercises.selectors import exercise_title
from nudges.kinds.base import NudgeKind, Text, ten_each_morning
from nudges.models import Kind


def who(people, now):
    # Wide enough for every time zone's today and tomorrow; the day itself is checked when due.
    return people.filter(
        pk__in=members_reviewing(first=now.date() - timedelta(days=1), last=now.date() + timedelta(days=2))
    )


def still_relevant(*, nudge, user, local) -> str:
    return "" if agreements_due_for_review(user=user, day=nudge.planned_for) else "nothing_due"


def facts(*, nudge, user, local) -> dict | None:
    due = agreements_due_for_review(user=user, day=nudge.planned_for)
    if not due:
        return None
    agreement = due[0]
    exercise = exercise_title(slug=agreement.review_exercise, locale=user.locale) if agreement.reviewer_leads else None
    return {"kind": agreement.kind, "team": agreement.team.name, "exercise": exercise or ""}


def text(facts: dict) -> Text:
    kinds = {
        "contribution": _("contribution agreement"),
        "purpose": _("purpose"),
        "working_norm": _("working norms"),
        "initiative_frame": _("frame for initiative"),
    }
    body = _("%(team)s planned to look at its %(kind)s again today. Still what you agree?") % {
        "team": facts["team"],
        "kind": kinds[facts["kind"]],
    }
    if facts["exercise"]:
        body += " " + _('To look at it together, run "%(exercise)s".') % {"exercise": facts["exercise"]}
    return Text(_("Time to review"), body)


KIND = NudgeKind(
    name=Kind.AGREEMENT_REVIEW,
    preference="agreement_review",
    text=text,
    facts=facts,
    still_relevant=still_relevant,
    schedule=ten_each_morning(who),
    collapse_key="agreement_review",
)
