"""Writes to the private journal."""

import uuid

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import User
from accounts.services import person_lock
from common.errors import Invalid, NotFound
from common.idempotency import create_once
from exercises.models import Run, Theme
from group_sessions.models import GroupSession
from reflections import crypto
from reflections.models import BODY_MAX_LENGTH, Reflection
from reflections.selectors import reflection_for_author

UNSET = object()


def _check_body(body: str) -> None:
    if not body.strip():
        raise Invalid("Write something first.", code="blank", field="body")
    if len(body) > BODY_MAX_LENGTH:
        raise Invalid(f"At most {BODY_MAX_LENGTH} characters.", code="max_length", field="body")


def _check_rating(value: int | None, field: str) -> None:
    if value is not None and not 1 <= value <= 5:
        raise Invalid("Rate from 1 to 5.", code="out_of_range", field=field)


def _themes(slugs: list[str]) -> list[Theme]:
    themes = list(Theme.objects.filter(slug__in=set(slugs)))
    if len(themes) != len(set(slugs)):
        raise Invalid("Unknown theme tag.", code="unknown_theme", field="themes")
    return themes


def _attended_session(*, author: User, session_id: int | None) -> GroupSession | None:
    if session_id is None:
        return None
    session = GroupSession.objects.filter(pk=session_id, connections__user=author).distinct().first()
    if session is None:
        raise NotFound("No such session that you took part in.", code="session_not_found", field="session")
    return session


def _own_run(*, author: User, run_id: int | None) -> Run | None:
    if run_id is None:
        return None
    run = Run.objects.filter(pk=run_id, user=author).first()
    if run is None:
        raise NotFound("No such run among yours.", code="run_not_found", field="run")
    return run


@sensitive_variables("body")
@transaction.atomic
def reflection_create(
    *,
    author: User,
    body: str,
    client_id: uuid.UUID,
    mood: int | None = None,
    energy: int | None = None,
    theme_slugs: list[str] = (),
    run_id: int | None = None,
    session_id: int | None = None,
) -> tuple[Reflection, bool]:
    """Write a reflection; the same client_id again returns the first one (and False)."""
    person_lock(user=author)
    _check_body(body)
    _check_rating(mood, "mood")
    _check_rating(energy, "energy")
    themes = _themes(list(theme_slugs))
    run = _own_run(author=author, run_id=run_id)
    session = _attended_session(author=author, session_id=session_id)

    def create() -> Reflection:
        reflection = Reflection.objects.create(
            author=author,
            body_ciphertext=crypto.encrypt(body),
            mood=mood,
            energy=energy,
            run=run,
            session=session,
            client_id=client_id,
        )
        reflection.themes.set(themes)
        return reflection

    reflection, created = create_once(
        Reflection.objects.filter(author=author),
        client_id=client_id,
        sent={"body": body, "mood": mood, "energy": energy, "themes": set(themes), "run": run, "session": session},
        stored=lambda first: {
            "body": crypto.decrypt(first.body_ciphertext),
            "mood": first.mood,
            "energy": first.energy,
            "themes": set(first.themes.all()),
            "run": first.run,
            "session": first.session,
        },
        create=create,
    )
    return reflection_for_author(author=author, reflection_id=reflection.pk), created


@sensitive_variables("body")
@transaction.atomic
def reflection_update(
    *,
    author: User,
    reflection_id: int,
    body=UNSET,
    mood=UNSET,
    energy=UNSET,
    theme_slugs=UNSET,
    run_id=UNSET,
    session_id=UNSET,
) -> Reflection:
    """Change any of the given parts of one's own reflection; parts not given stay as they are."""
    reflection = reflection_for_author(author=author, reflection_id=reflection_id)
    if body is not UNSET:
        _check_body(body)
        reflection.body_ciphertext = crypto.encrypt(body)
    for field, value in (("mood", mood), ("energy", energy)):
        if value is not UNSET:
            _check_rating(value, field)
            setattr(reflection, field, value)
    if run_id is not UNSET:
        reflection.run = _own_run(author=author, run_id=run_id)
    if session_id is not UNSET:
        reflection.session = _attended_session(author=author, session_id=session_id)
    if theme_slugs is not UNSET:
        reflection.themes.set(_themes(list(theme_slugs)))
    reflection.updated_at = timezone.now()
    reflection.save()
    return reflection_for_author(author=author, reflection_id=reflection_id)


@transaction.atomic
def reflection_delete(*, author: User, reflection_id: int) -> None:
    deleted, _ = Reflection.objects.filter(pk=reflection_id, author=author).delete()
    if not deleted:
        raise NotFound("No such reflection among yours.", code="reflection_not_found")


def reflection_keys_rotate(*, batch_size: int = 500) -> int:
    """Re-encrypt every reflection under the first key in REFLECTION_KEYS; returns how many.

    Batches each commit on their own, so a long rotation holds no long lock and can be re-run.
    """
    rotated, last_pk = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                Reflection.objects.select_for_update()
                .filter(pk__gt=last_pk)
                .order_by("pk")
                .only("pk", "body_ciphertext")[:batch_size]
            )
            if not batch:
                return rotated
            for reflection in batch:
                reflection.body_ciphertext = crypto.reencrypt(reflection.body_ciphertext)
            Reflection.objects.bulk_update(batch, ["body_ciphertext"])
        rotated += len(batch)
        last_pk = batch[-1].pk
