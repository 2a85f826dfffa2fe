"""Reads of the private journal. Every function here takes the author: there is no way to
ask for someone else's reflections."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from common.errors import NotFound
from exercises.models import Theme
from reflections import crypto
from reflections.models import Reflection


def reflections_for_author(*, author: User) -> QuerySet[Reflection]:
    return Reflection.objects.filter(author=author).prefetch_related(
        Prefetch("themes", queryset=Theme.objects.only("slug"))
    )


def reflection_for_author(*, author: User, reflection_id: int) -> Reflection:
    reflection = reflections_for_author(author=author).filter(pk=reflection_id).first()
    if reflection is None:
        raise NotFound("No such reflection among yours.", code="reflection_not_found")
    return reflection


def reflection_body(*, reflection: Reflection) -> str:
    return crypto.decrypt(reflection.body_ciphertext)


def has_reflected_on(*, author: User, run_id: int | None = None, session_id: int | None = None) -> bool:
    """Whether the author has written a reflection on this run, or on this live session."""
    cause = {"run_id": run_id, "session_id": session_id}
    return Reflection.objects.filter(author=author, **{k: v for k, v in cause.items() if v}).exists()
