"""11:00 local, for someone who has acknowledged nobody for 14 days, naming a teammate they
have not acknowledged yet."""

from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, QuerySet, TimeField, Value
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.presenters import public_person
from acknowledgements.selectors import acknowledged_ids, acknowledgements_sent_since
from nudges.kinds.base import NudgeKind, Schedule, Text
from nudges.models import Kind, Nudge
from teams.selectors import first_teammate_outside

QUIET_FOR = timedelta(days=14)


def quiet_for_a_while(people: QuerySet[User], now: datetime) -> QuerySet[User]:
    """Here for two weeks, with nobody acknowledged and no reconnect nudge in that time."""
    since = now - QUIET_FOR
    acknowledged_someone = Exists(acknowledgements_sent_since(sender=OuterRef("pk"), since=since))
    nudged = Exists(Nudge.objects.filter(user=OuterRef("pk"), kind=Kind.RECONNECT, created_at__gte=since))
    return people.filter(~acknowledged_someone, date_joined__lte=since).exclude(nudged)


def still_relevant(*, nudge, user, local) -> str:
    if acknowledgements_sent_since(sender=user, since=nudge.created_at).exists():
        return "already_reconnected"
    return ""


def facts(*, nudge, user, local) -> dict | None:
    mate = first_teammate_outside(user=user, excluding=acknowledged_ids(sender=user))
    return {"name": public_person(mate)["display_name"]} if mate else None


def text(facts: dict) -> Text:
    return Text(
        _("Thinking of %(name)s?") % {"name": facts["name"]},
        _('Noticed something %(name)s did lately? A short "I see you" goes a long way.') % {"name": facts["name"]},
    )


KIND = NudgeKind(
    name=Kind.RECONNECT,
    preference="reconnect",
    text=text,
    facts=facts,
    still_relevant=still_relevant,
    schedule=Schedule(
        at=Value(time(11, 0), output_field=TimeField()),
        days=lambda today: [today],
        period=date.isoformat,
        who=quiet_for_a_while,
    ),
    collapse_key="reconnect",
)
