"""11:00 local, for someone who has acknowledged nobody for 14 days, naming a teammate they
have not acknowledged yet."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, QuerySet, TimeField, Value
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.presenters import public_person
from acknowledgements.selectors import (
    acknowledgements_between,
    acknowledgements_sent_counts,
    acknowledgements_sent_since,
)
from nudges.kinds.base import NudgeKind, Schedule, Text
from nudges.models import Kind, Nudge
from teams.selectors import first_teammates_outside

QUIET_FOR = timedelta(days=14)


def quiet_for_a_while(people: QuerySet[User], now: datetime) -> QuerySet[User]:
    """Here for two weeks, with nobody acknowledged and no reconnect nudge in that time."""
    since = now - QUIET_FOR
    acknowledged_someone = Exists(acknowledgements_sent_since(sender=OuterRef("pk"), since=since))
    nudged = Exists(Nudge.objects.filter(user=OuterRef("pk"), kind=Kind.RECONNECT, created_at__gte=since))
    return people.filter(~acknowledged_someone, date_joined__lte=since).exclude(nudged)


@dataclass(frozen=True)
class Reconnect:
    reconnected: bool  # acknowledged someone since the nudge was planned
    mate: User | None  # the teammate to name


def read_ahead(nudges, now) -> dict:
    """For the whole batch at once: who acknowledged someone since their nudge was planned, and
    each person's first teammate not acknowledged yet."""
    # A person has at most one reconnect nudge in a fortnight (quiet_for_a_while): one a batch.
    sent = acknowledgements_sent_counts(since={nudge.user_id: nudge.created_at for nudge in nudges})
    mates = first_teammates_outside(
        people=[nudge.user for nudge in nudges],
        passed_over=lambda person, mate: acknowledgements_between(sender=person, recipient=mate),
    )
    return {nudge.pk: Reconnect(reconnected=sent[nudge.user_id] > 0, mate=mates[nudge.user_id]) for nudge in nudges}


def still_relevant(*, nudge, user, local) -> str:
    return "already_reconnected" if nudge.read_ahead.reconnected else ""


def facts(*, nudge, user, local) -> dict | None:
    mate = nudge.read_ahead.mate
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
    read_ahead=read_ahead,
)
