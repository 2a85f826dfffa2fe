"""Creations a phone may retry are keyed by a client-generated id.

A retry is the same request sent again: it gets the first object back and writes nothing. A
request that reuses a client_id with a different body is no retry but a client's mistake
(two drafts under one id, say): it is refused with 409 `idempotency_conflict`, naming the
first object, rather than silently answered with something the client did not ask for. The
first object is compared as it stands: one edited since (a reflection) no longer matches its
original body, which is right, as a client that edited it already knows it was created.

Callers hold a lock on the owner (accounts.services.person_lock) inside their transaction, so
two identical requests at the same moment are serialised and the second finds the first's row.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from common.errors import Conflict

M = TypeVar("M", bound=Model)


def earlier_attempt(
    owned: QuerySet[M], *, client_id, sent: Mapping[str, Any], stored: Callable[[M], Mapping[str, Any]]
) -> M | None:
    """The owner's row with this client_id, if any, provided it was created from the same request.

    `sent` is what this request asks for, field by field (after the service's normalisation);
    `stored(row)` reads the same fields from the first object. A difference is a Conflict.
    """
    existing = owned.filter(client_id=client_id).first()
    if existing is None:
        return None
    first = stored(existing)
    differing = sorted(name for name, value in sent.items() if first[name] != value)
    if differing:
        name = existing._meta.verbose_name
        raise Conflict(
            f"This client_id was first used for {name} {existing.pk}, with a different "
            f"{', '.join(differing)}: a retry sends the same request, a new {name} a new client_id.",
            code="idempotency_conflict",
        )
    return existing


def create_once(
    owned: QuerySet[M],
    *,
    client_id,
    sent: Mapping[str, Any],
    stored: Callable[[M], Mapping[str, Any]],
    create: Callable[[], M],
) -> tuple[M, bool]:
    """The owner's row with this client_id if there is one (see earlier_attempt), else a new
    one; and whether it is new."""
    existing = earlier_attempt(owned, client_id=client_id, sent=sent, stored=stored)
    if existing is not None:
        return existing, False
    return create(), True
