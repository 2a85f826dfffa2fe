"""Creations a phone may retry are keyed by a client-generated id.

Callers hold a lock on the owner (people.lock_person) inside their transaction, so two
identical requests at the same moment are serialised and the second finds the first's row.
"""

from collections.abc import Callable

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def create_once(owned: QuerySet[M], *, client_id, create: Callable[[], M]) -> tuple[M, bool]:
    """The owner's row with this client_id if there is one, else a new one; and whether it is new."""
    existing = owned.filter(client_id=client_id).first()
    if existing is not None:
        return existing, False
    return create(), True
