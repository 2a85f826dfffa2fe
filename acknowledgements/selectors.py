"""Reads of acknowledgements, always through who may see them.

The sender and the recipient see an acknowledgement; a team-visible one is also seen by the
teammates of either, while it stays on the team feed. Nobody else, whatever their role.
"""

from datetime import datetime

from django.db import connection
from django.db.models import CharField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import User
from acknowledgements.models import Acknowledgement, Reaction
from common.counting import counted_since_each
from common.errors import NotFound
from teams.models import Membership
from teams.selectors import teammate_ids


def _for_display(acknowledgements: QuerySet[Acknowledgement], *, viewer: User) -> QuerySet[Acknowledgement]:
    """With the people and `reaction_marks` (see acknowledgements.presenters): the reactions
    come in the same query as their acknowledgements, so a page of them is one query."""
    return acknowledgements.select_related("sender", "recipient").annotate(
        reaction_marks=_reaction_marks(viewer=viewer)
    )


_JOINED_BY_COMMAS = {"postgresql": "STRING_AGG", "sqlite": "GROUP_CONCAT"}


def _reaction_marks(*, viewer: User) -> RawSQL:
    """Each reaction's kind, the viewer's own ending in "*", joined by commas ("clap,heart*"),
    NULL for none. Written as SQL: built through the ORM (a Subquery with an aggregate) it
    cost more Python on every request than the query it saves. It names the outer table, so
    what it annotates is never itself used as a subquery."""
    return RawSQL(
        f"SELECT {_JOINED_BY_COMMAS[connection.vendor]}(kind || CASE WHEN user_id = %s THEN '*' ELSE '' END, ',') "
        f"FROM {Reaction._meta.db_table} WHERE acknowledgement_id = {Acknowledgement._meta.db_table}.id",
        (viewer.pk,),
        output_field=CharField(),
    )


def _on_team_feed() -> Q:
    return Q(visibility=Acknowledgement.Visibility.TEAM, hidden_by_recipient=False, hidden_for_review=False)


def acknowledgements_received(*, user: User) -> QuerySet[Acknowledgement]:
    return _for_display(Acknowledgement.objects.filter(recipient=user), viewer=user)


def acknowledgements_sent(*, user: User) -> QuerySet[Acknowledgement]:
    return _for_display(Acknowledgement.objects.filter(sender=user), viewer=user)


def team_feed_acknowledgements(*, team_id: int, organisation_id: int) -> QuerySet[Acknowledgement]:
    """Team-visible acknowledgements sent or received by any member of the team, with the people
    (the caller checks the viewer is a member; `acknowledgements_shown` adds the reactions)."""
    members = Membership.objects.filter(team_id=team_id).values("user_id")
    return (
        Acknowledgement.objects.filter(_on_team_feed(), organisation_id=organisation_id)
        .filter(Q(sender__in=members) | Q(recipient__in=members))
        .select_related("sender", "recipient")
    )


def acknowledgements_shown(*, page: QuerySet[Acknowledgement], viewer: User) -> QuerySet[Acknowledgement]:
    """A page already cut (ordered and sliced) as `viewer` sees it, in no set order: its
    reactions worked out for the page's rows alone, where an unordered history would otherwise
    have them worked out for every row it sorts."""
    return _for_display(Acknowledgement.objects.filter(pk__in=page.values("pk")), viewer=viewer)


def visible_to(*, user: User) -> QuerySet[Acknowledgement]:
    mates = teammate_ids(user=user)
    return Acknowledgement.objects.filter(
        Q(sender=user)
        | Q(recipient=user)
        | (_on_team_feed() & (Q(sender__in=mates) | Q(recipient__in=mates)) & Q(organisation_id=user.organisation_id))
    )


def acknowledgement_for(*, user: User, acknowledgement_id: int) -> Acknowledgement:
    acknowledgement = _for_display(visible_to(user=user).filter(pk=acknowledgement_id), viewer=user).first()
    if acknowledgement is None:
        raise NotFound("No such acknowledgement.", code="acknowledgement_not_found")
    return acknowledgement


def unread_received(*, recipient: User | OuterRef) -> QuerySet[Acknowledgement]:
    """What the person received and has not read; `recipient` may be an OuterRef (today's screen
    counts them in its own query)."""
    return Acknowledgement.objects.filter(recipient=recipient, read_at=None)


def acknowledgements_sent_since(*, sender: User | OuterRef, since: datetime) -> QuerySet[Acknowledgement]:
    """What someone acknowledged since `since`; `sender` may be an OuterRef, one subquery per person."""
    return Acknowledgement.objects.filter(sender=sender, created_at__gte=since)


def acknowledgements_sent_counts(*, since: dict[int, datetime]) -> dict[int, int]:
    """How many acknowledgements each person sent at or after their own moment in `since`, for
    many people at once (one query)."""
    return counted_since_each(Acknowledgement.objects.all(), person="sender_id", at="created_at", since=since)


def acknowledgers_count_since(*, recipient: User, since: datetime) -> int:
    """How many different colleagues acknowledged the person since `since`."""
    senders = Acknowledgement.objects.filter(recipient=recipient, created_at__gte=since).values("sender_id")
    return senders.distinct().count()


def acknowledgements_between(*, sender: User | OuterRef, recipient: User | OuterRef) -> QuerySet[Acknowledgement]:
    """What `sender` ever acknowledged `recipient` for (a subquery when either is an OuterRef)."""
    return Acknowledgement.objects.filter(sender=sender, recipient=recipient)
