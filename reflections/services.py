"""Writes to the private journal."""

import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import User
from accounts.services import person_lock
from common import offline
from common.errors import Conflict, Invalid, NotFound
from common.idempotency import create_once
from exercises.models import Run, Step, Theme
from group_sessions.models import GroupSession
from nudges.triggers import nudge_was_sent_to
from reflections import crypto, formats
from reflections.formats import EncryptedDocument
from reflections.models import BODY_MAX_LENGTH, DOCUMENT_MAX_LENGTH, JournalDevice, JournalKey, Reflection
from reflections.selectors import journal_device_for_author, reflection_for_author

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


def _prompt(*, author: User, step_id: int | None, nudge_id: int | None) -> dict:
    """What invited the reflection: a step of the catalogue, or a nudge that reached the author."""
    if step_id is not None and not Step.objects.filter(pk=step_id).exists():
        raise NotFound("No such exercise step.", code="does_not_exist", field="prompt_step")
    if nudge_id is not None and not nudge_was_sent_to(user_id=author.pk, nudge_id=nudge_id):
        raise NotFound("No such nudge of yours.", code="does_not_exist", field="prompt_nudge")
    return {"prompt_step_id": step_id, "prompt_nudge_id": nudge_id}


def _own_run(*, author: User, run_id: int | None) -> Run | None:
    if run_id is None:
        return None
    run = Run.objects.filter(pk=run_id, user=author).first()
    if run is None:
        raise NotFound("No such run among yours.", code="run_not_found", field="run")
    return run


def _words(*, author: User, body: str | None, document: EncryptedDocument | None) -> dict:
    """The reflection's fields that hold its words, from exactly one of a plain `body` (encrypted
    here, with the server's keys) or a `document` the phone encrypted. Once the person's journal
    is end to end encrypted, only a document is taken: the server never again holds words it
    could read."""
    if body is None and document is None:
        raise Invalid("Send the words as `body` or as an encrypted `document`.", code="required", field="body")
    if body is not None and document is not None:
        raise Invalid("Send the words as `body` or as a `document`, not both.", code="invalid", field="body")
    journal = JournalKey.objects.filter(author=author).first()
    if body is not None:
        if journal is not None:
            raise Conflict(
                "This journal is end-to-end encrypted: send the words as a `document`.",
                code="journal_end_to_end",
                field="body",
            )
        _check_body(body)
        return {"body_ciphertext": crypto.encrypt(body), "document": "", "key_id": "", "document_format": None}
    if journal is None:
        raise Conflict(
            "Turn end-to-end encryption on (POST me/journal) before sending a `document`.",
            code="journal_not_end_to_end",
            field="document",
        )
    if document.format not in formats.DOCUMENT_FORMATS:
        raise Invalid("Unknown document format.", code="unknown_format", field="document")
    if document.key_id != journal.key_id:
        raise Invalid("Encrypt with the journal's key (GET me/journal).", code="unknown_key", field="document")
    formats.decoded(
        document.ciphertext,
        field="document",
        minimum=formats.DOCUMENT_OVERHEAD_BYTES + 1,
        maximum=DOCUMENT_MAX_LENGTH * 3 // 4,
    )
    return {
        "body_ciphertext": "",
        "document": document.ciphertext,
        "key_id": document.key_id,
        "document_format": document.format,
    }


@sensitive_variables("body")
@transaction.atomic
def reflection_create(
    *,
    author: User,
    client_id: uuid.UUID,
    body: str | None = None,
    document: EncryptedDocument | None = None,
    mood: int | None = None,
    energy: int | None = None,
    theme_slugs: list[str] = (),
    run_id: int | None = None,
    session_id: int | None = None,
    occurred_at: datetime | None = None,
    prompt_step_id: int | None = None,
    prompt_nudge_id: int | None = None,
) -> tuple[Reflection, bool]:
    """Write a reflection, dated when the phone wrote it (`occurred_at`, perhaps offline); the
    same client_id again returns the first one (and False)."""
    person_lock(user=author)
    written_at = offline.occurred_at(occurred_at)
    words = _words(author=author, body=body, document=document)
    prompt = _prompt(author=author, step_id=prompt_step_id, nudge_id=prompt_nudge_id)
    _check_rating(mood, "mood")
    _check_rating(energy, "energy")
    themes = _themes(list(theme_slugs))
    run = _own_run(author=author, run_id=run_id)
    session = _attended_session(author=author, session_id=session_id)

    def create() -> Reflection:
        reflection = Reflection.objects.create(
            author=author,
            mood=mood,
            energy=energy,
            run=run,
            session=session,
            client_id=client_id,
            occurred_at=written_at,
            **words,
            **prompt,
        )
        reflection.themes.set(themes)
        return reflection

    reflection, created = create_once(
        Reflection.objects.filter(author=author),
        client_id=client_id,
        sent={
            **({"document": document.ciphertext} if document else {"body": body}),
            "mood": mood,
            "energy": energy,
            "themes": set(themes),
            "run": run,
            "session": session,
        },
        stored=lambda first: {
            "body": None if first.end_to_end else crypto.decrypt(first.body_ciphertext),
            "document": first.document or None,
            "mood": first.mood,
            "energy": first.energy,
            "themes": set(first.themes.all()),
            "run": first.run,
            "session": first.session,
        },
        create=create,
    )
    # As made (or found), not read again: the transaction, which holds SQLite's one write
    # lock, stays short.
    return reflection, created


@sensitive_variables("body")
@transaction.atomic
def reflection_update(
    *,
    author: User,
    reflection_id: int,
    body=UNSET,
    document=UNSET,
    mood=UNSET,
    energy=UNSET,
    theme_slugs=UNSET,
    run_id=UNSET,
    session_id=UNSET,
) -> Reflection:
    """Change any of the given parts of one's own reflection; parts not given stay as they are.
    A `document` sent for a reflection the server encrypted moves it over to end to end: the
    server's readable copy is gone in the same write."""
    reflection = reflection_for_author(author=author, reflection_id=reflection_id)
    if body is not UNSET or document is not UNSET:
        words = _words(
            author=author, body=None if body is UNSET else body, document=None if document is UNSET else document
        )
        for field, value in words.items():
            setattr(reflection, field, value)
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
    """Re-encrypt every reflection the server encrypted under the first key in REFLECTION_KEYS;
    returns how many. End-to-end documents are the phone's, and untouched.

    Batches each commit on their own, so a long rotation holds no long lock and can be re-run.
    """
    rotated, last_pk = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                Reflection.objects.select_for_update()
                .filter(pk__gt=last_pk)
                .exclude(body_ciphertext="")
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


@transaction.atomic
def journal_turn_on(
    *,
    author: User,
    key_id: str,
    recovery_wrapped_key: str,
    recovery_salt: str,
    recovery_opslimit: int,
    recovery_memlimit: int,
    device_name: str,
    device_public_key: str,
    device_wrapped_key: str,
) -> JournalKey:
    """The phone made a journal key: from now on the journal is end to end encrypted. The server
    keeps the key's id, the key wrapped for the recovery phrase and for this phone, nothing that
    opens it. Sending the same again is a retry; another key, a Conflict (one key a journal)."""
    person_lock(user=author)
    formats.check_key_id(key_id)
    formats.decoded(recovery_wrapped_key, field="recovery_wrapped_key", size=formats.RECOVERY_WRAPPED_KEY_BYTES)
    formats.decoded(recovery_salt, field="recovery_salt", size=formats.SALT_BYTES)
    formats.check_recovery_limits(opslimit=recovery_opslimit, memlimit=recovery_memlimit)
    existing = JournalKey.objects.filter(author=author).first()
    if existing is not None:
        if existing.key_id != key_id:
            raise Conflict("This journal already has its key.", code="journal_end_to_end")
        return existing
    journal = JournalKey.objects.create(
        author=author,
        key_id=key_id,
        recovery_wrapped_key=recovery_wrapped_key,
        recovery_salt=recovery_salt,
        recovery_opslimit=recovery_opslimit,
        recovery_memlimit=recovery_memlimit,
    )
    _device_add(author=author, name=device_name, public_key=device_public_key, wrapped_key=device_wrapped_key)
    return journal


def _device_add(*, author: User, name: str, public_key: str, wrapped_key: str) -> JournalDevice:
    formats.decoded(public_key, field="public_key", size=formats.PUBLIC_KEY_BYTES)
    if wrapped_key:
        formats.decoded(wrapped_key, field="wrapped_key", size=formats.SEALED_KEY_BYTES)
    if not name.strip():
        raise Invalid("Name the device.", code="blank", field="name")
    device, created = JournalDevice.objects.get_or_create(
        author=author,
        public_key=public_key,
        defaults={"name": name, "wrapped_key": wrapped_key, "wrapped_at": timezone.now() if wrapped_key else None},
    )
    if not created and wrapped_key and not device.wrapped_key:
        device.wrapped_key, device.wrapped_at = wrapped_key, timezone.now()
        device.save(update_fields=["wrapped_key", "wrapped_at"])
    return device


@transaction.atomic
def journal_device_add(*, author: User, name: str, public_key: str, wrapped_key: str = "") -> JournalDevice:
    """A new phone registers its public key. It reads the journal once the key is wrapped for
    it: by itself, with the recovery phrase (`wrapped_key` sent here), or by one of the person's
    other devices (journal_device_wrap). The same key again is a retry."""
    person_lock(user=author)
    if not JournalKey.objects.filter(author=author).exists():
        raise Conflict("Turn end-to-end encryption on first.", code="journal_not_end_to_end")
    return _device_add(author=author, name=name, public_key=public_key, wrapped_key=wrapped_key)


@transaction.atomic
def journal_device_wrap(*, author: User, device_id: int, wrapped_key: str) -> JournalDevice:
    """One of the person's devices seals the journal key for another of theirs."""
    device = journal_device_for_author(author=author, device_id=device_id)
    formats.decoded(wrapped_key, field="wrapped_key", size=formats.SEALED_KEY_BYTES)
    device.wrapped_key, device.wrapped_at = wrapped_key, timezone.now()
    device.save(update_fields=["wrapped_key", "wrapped_at"])
    return device


@transaction.atomic
def journal_device_remove(*, author: User, device_id: int) -> None:
    """A lost or retired phone: its wrapped key is deleted (what the phone itself kept, it keeps)."""
    journal_device_for_author(author=author, device_id=device_id).delete()
