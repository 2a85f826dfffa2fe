"""The end-to-end encrypted journal, driven as a phone drives it: the reference client
(tools/journal_client.py) against a live server over real HTTP."""

import base64
import contextlib
import hashlib
import json
import logging
import os
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from nacl.exceptions import CryptoError
from rest_framework_simplejwt.tokens import AccessToken

from reflections import crypto
from reflections.factories import ReflectionFactory
from reflections.models import JournalKey, Reflection
from tools.journal_client import JournalClient, JournalError, decrypt_document, decrypt_export

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = "I froze when the director asked about the outage, and I am still thinking about it"


@pytest.fixture
def phone(live_server, member):
    return phone_of(live_server, member, "Pixel")


def phone_of(live_server, person, name: str) -> JournalClient:
    return JournalClient(live_server.url, str(AccessToken.for_user(person)), device_name=name)


def test_a_phone_reads_back_what_it_wrote_end_to_end(phone):
    phone.turn_on()
    written = phone.write(WORDS, mood=2, themes=[])
    assert phone.read(written) == WORDS
    assert [phone.read(reflection) for reflection in phone.reflections()] == [WORDS]


def test_the_server_keeps_only_ciphertext_and_shows_no_words(phone):
    phone.turn_on()
    written = phone.write(WORDS, mood=2)
    stored = Reflection.objects.get(pk=written["id"])
    assert (written["body"], stored.body_ciphertext) == (None, "")
    assert WORDS not in stored.document and WORDS not in json.dumps(written)


def test_what_stays_in_the_clear_is_the_mood_the_themes_and_the_times(phone):
    phone.turn_on()
    written = phone.write(WORDS, mood=2, energy=4)
    assert (written["mood"], written["energy"], written["themes"], written["run"]) == (2, 4, [], None)
    assert written["created_at"]


def test_a_second_phone_reads_the_journal_once_the_first_wraps_the_key_for_it(live_server, member, phone):
    phone.turn_on()
    phone.write(WORDS)
    tablet = phone_of(live_server, member, "Tablet")
    device_id = tablet.register()
    with pytest.raises(JournalError):
        tablet.unlock()
    phone.wrap_for(device_id)
    tablet.unlock()
    assert [tablet.read(reflection) for reflection in tablet.reflections()] == [WORDS]


def test_a_new_phone_with_only_the_recovery_phrase_reads_the_journal(live_server, member, phone):
    phrase = phone.turn_on()
    phone.write(WORDS)
    replacement = phone_of(live_server, member, "New phone")
    replacement.recover(phrase)
    assert [replacement.read(reflection) for reflection in replacement.reflections()] == [WORDS]
    again = phone_of(live_server, member, "New phone")
    again.device_key = replacement.device_key
    again.unlock()
    assert again.journal_key == replacement.journal_key


def test_a_wrong_recovery_phrase_opens_nothing(live_server, member, phone):
    phone.turn_on()
    with pytest.raises(CryptoError):
        phone_of(live_server, member, "Thief").recover("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GG")


def test_old_entries_move_over_and_the_server_keeps_no_readable_copy(live_server, member):
    ReflectionFactory(author=member, body="Written before the update")
    ReflectionFactory(author=member, body="Also before")
    phone = phone_of(live_server, member, "Pixel")
    phone.turn_on()
    assert phone.journal()["server_readable"] == 2
    assert phone.move_over() == 2
    assert phone.journal()["server_readable"] == 0
    assert not Reflection.objects.exclude(body_ciphertext="").exists()
    assert sorted(phone.read(reflection) for reflection in phone.reflections()) == [
        "Also before",
        "Written before the update",
    ]


def test_until_a_phone_turns_it_on_the_journal_works_as_before(live_server, member):
    phone = phone_of(live_server, member, "Old app")
    written = phone._call("POST", "reflections", json={"client_id": str(uuid.uuid4()), "body": "Plain as ever"})
    assert (written["body"], written["document"]) == ("Plain as ever", None)
    assert phone.journal() == {
        "end_to_end": False,
        "key_id": None,
        "recovery": None,
        "devices": [],
        "server_readable": 0,
    }


def test_once_it_is_on_the_server_refuses_plain_words(phone):
    phone.turn_on()
    with pytest.raises(JournalError) as refused:
        phone._call("POST", "reflections", json={"client_id": str(uuid.uuid4()), "body": "Plain words"})
    assert (refused.value.status, refused.value.detail["errors"][0]["code"]) == (409, "journal_end_to_end")
    assert not Reflection.objects.exists()


def test_a_document_before_it_is_on_is_refused(phone):
    phone.journal_key, phone.key_id = bytes(32), "not-yet-a-key"
    with pytest.raises(JournalError) as refused:
        phone.write(WORDS)
    assert (refused.value.status, refused.value.detail["errors"][0]["code"]) == (409, "journal_not_end_to_end")


def test_a_document_under_another_key_is_refused(phone):
    phone.turn_on()
    phone.key_id = "some-other-key"
    with pytest.raises(JournalError) as refused:
        phone.write(WORDS)
    assert (refused.value.status, refused.value.detail["errors"][0]["code"]) == (400, "unknown_key")


def test_turning_it_on_twice_with_another_key_is_refused(live_server, member, phone):
    phone.turn_on()
    with pytest.raises(JournalError) as refused:
        phone_of(live_server, member, "Tablet").turn_on()
    assert (refused.value.status, refused.value.detail["errors"][0]["code"]) == (409, "journal_end_to_end")
    assert JournalKey.objects.get().key_id == phone.key_id


def test_the_server_cannot_swap_the_words_of_two_reflections(phone):
    phone.turn_on()
    first, second = phone.write("First"), phone.write("Second")
    Reflection.objects.filter(pk=first["id"]).update(document=second["document"]["ciphertext"])
    swapped = next(reflection for reflection in phone.reflections() if reflection["id"] == first["id"])
    with pytest.raises(CryptoError):
        phone.read(swapped)


def test_a_removed_phone_loses_its_wrapped_key(live_server, member, phone):
    phone.turn_on()
    tablet = phone_of(live_server, member, "Tablet")
    device_id = tablet.register()
    phone.wrap_for(device_id)
    phone._call("DELETE", f"me/journal/devices/{device_id}")
    assert [device["name"] for device in phone.journal()["devices"]] == ["Pixel"]


def test_a_person_decrypts_their_own_export_with_the_phrase(live_server, member):
    ReflectionFactory(author=member, body="Before")
    phone = phone_of(live_server, member, "Pixel")
    phrase = phone.turn_on()
    phone.write(WORDS)
    export = phone.http.get(phone.api + "me/export", timeout=30).json()
    assert WORDS not in json.dumps(export)
    assert "Argon2id" in export["journal"]["format"]
    assert sorted(entry["text"] for entry in decrypt_export(export, phrase=phrase)) == sorted(["Before", WORDS])


def test_someone_else_cannot_wrap_or_remove_my_devices(live_server, member, teammate, phone):
    phone.turn_on()
    (mine,) = phone.journal()["devices"]
    intruder = phone_of(live_server, teammate, "Intruder")
    for method, path, body in (
        ("POST", f"me/journal/devices/{mine['id']}/wrap", {"wrapped_key": mine["wrapped_key"]}),
        ("DELETE", f"me/journal/devices/{mine['id']}", None),
    ):
        with pytest.raises(JournalError) as refused:
            intruder._call(method, path, json=body)
        assert refused.value.status == 404
    assert phone.journal()["devices"] == [mine]


def test_the_document_opens_only_with_its_own_client_id(phone):
    phone.turn_on()
    written = phone.write(WORDS)
    with pytest.raises(CryptoError):
        decrypt_document(phone.journal_key, str(uuid.uuid4()), written["document"]["ciphertext"])


# The operator: the database, every environment variable, the server's keys and files


def candidate_keys(settings) -> list[bytes]:
    """Every 32-byte key an operator could make of what the server holds: each environment
    variable, the secret key and the reflection keys, as they are, base64-decoded and hashed."""
    secrets = [*os.environ.values(), settings.SECRET_KEY, *settings.REFLECTION_KEYS]
    keys = []
    for value in secrets:
        raw = value.encode()
        keys += [hashlib.sha256(raw).digest(), raw[:32].ljust(32, b"\0")]
        with contextlib.suppress(ValueError):
            keys.append(base64.urlsafe_b64decode(raw + b"==")[:32].ljust(32, b"\0"))
    return keys


def everything_stored() -> list[str]:
    """Every value of every row of every table, as text, and what the server's own keys open."""
    values = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            for value in row.values():
                values.append(str(value))
                with contextlib.suppress(Exception):
                    values.append(crypto.decrypt(str(value)))
    return values


def test_the_operator_finds_no_reflection_text_written_after_it_was_turned_on(
    live_server, member, settings, caplog, phone
):
    caplog.set_level(logging.DEBUG)
    ReflectionFactory(author=member, body="Written before, moved over after")
    phone.turn_on()
    phone.move_over()
    secret_words = f"OPERATOR-CANARY-{uuid.uuid4()}"
    written = phone.write(secret_words, mood=1)
    phone._call(
        "PATCH",
        f"reflections/{written['id']}",
        json={"document": phone._document(written["client_id"], secret_words + " (edited)")},
    )
    phone.write(secret_words + " again")

    stored = everything_stored()
    assert not [value for value in stored if "OPERATOR-CANARY" in value or "moved over after" in value]
    assert "OPERATOR-CANARY" not in caplog.text
    files = [path for path in Path(settings.VAR_DIR).rglob("*") if path.is_file()]
    assert not [path for path in files if b"OPERATOR-CANARY" in path.read_bytes()]
    opened = []
    for reflection in Reflection.objects.all():
        for key in candidate_keys(settings):
            with contextlib.suppress(CryptoError, ValueError):
                opened.append(decrypt_document(key, str(reflection.client_id), reflection.document))
    assert opened == []
