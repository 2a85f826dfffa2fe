"""Reads of the private journal. Every function here takes the author: there is no way to
ask for someone else's reflections."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from common.errors import NotFound
from exercises.models import Theme
from reflections import crypto
from reflections.models import JournalDevice, JournalKey, Reflection


def reflections_for_author(*, author: User) -> QuerySet[Reflection]:
    return Reflection.objects.filter(author=author).prefetch_related(
        Prefetch("themes", queryset=Theme.objects.only("slug"))
    )


def reflection_for_author(*, author: User, reflection_id: int) -> Reflection:
    reflection = reflections_for_author(author=author).filter(pk=reflection_id).first()
    if reflection is None:
        raise NotFound("No such reflection among yours.", code="reflection_not_found")
    return reflection


def reflection_body(*, reflection: Reflection) -> str | None:
    """The words, if the server can read them: None once they are end to end encrypted."""
    return None if reflection.end_to_end else crypto.decrypt(reflection.body_ciphertext)


def journal_for_author(*, author: User) -> JournalKey | None:
    """The person's journal key as the server holds it (None: not end to end encrypted), with
    their devices, and `server_readable`: how many reflections the phone has still to move over."""
    journal = JournalKey.objects.filter(author=author).first()
    if journal is not None:
        journal.devices = list(JournalDevice.objects.filter(author=author).order_by("pk"))
        journal.server_readable = Reflection.objects.filter(author=author).exclude(body_ciphertext="").count()
    return journal


def journal_device_for_author(*, author: User, device_id: int) -> JournalDevice:
    device = JournalDevice.objects.filter(pk=device_id, author=author).first()
    if device is None:
        raise NotFound("No such device of your journal.", code="journal_device_not_found")
    return device


def has_reflected_on(*, author: User, run_id: int | None = None, session_id: int | None = None) -> bool:
    """Whether the author has written a reflection on this run, or on this live session."""
    cause = {"run_id": run_id, "session_id": session_id}
    return Reflection.objects.filter(author=author, **{k: v for k, v in cause.items() if v}).exists()
