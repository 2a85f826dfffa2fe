"""The private journal: only its author can ever read a reflection, it is encrypted at rest
with rotatable keys, never logged, never echoed in an error, and has no admin page."""

import logging
import uuid
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from exercises.factories import RunFactory, ThemeFactory
from exercises.models import Run, Theme
from reflections import crypto
from reflections.factories import ReflectionFactory
from reflections.models import BODY_MAX_LENGTH, Reflection
from reflections.selectors import reflection_body
from reflections.services import reflection_keys_rotate
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

URL = "/api/v1/reflections"

# Everyone who is not the author: a teammate, the author's lead, a coach of the organisation,
# someone elsewhere in the organisation, someone in another organisation, and a staff admin.
NOT_THE_AUTHOR = ["teammate", "lead", "coach", "colleague", "outsider", "staff_admin"]


def detail(reflection_id) -> str:
    return f"{URL}/{reflection_id}"


def secret(label: str = "") -> str:
    """A body nobody else could have written, so finding it anywhere means it leaked."""
    return f"Private note {label} {uuid.uuid4().hex}: I felt unheard in the planning meeting."


def payload(**overrides) -> dict:
    data = {"body": secret(), "client_id": str(uuid.uuid4())}
    data.update(overrides)
    return data


def snapshot(reflection: Reflection) -> tuple:
    reflection.refresh_from_db()
    return (
        reflection.body_ciphertext,
        reflection.mood,
        reflection.energy,
        reflection.run_id,
        sorted(theme.slug for theme in reflection.themes.all()),
        reflection.updated_at,
    )


# --- writing -------------------------------------------------------------------------------


def test_a_person_writes_a_reflection_with_mood_energy_themes_and_their_run(client_for, member):
    calm, courage = ThemeFactory(slug="calm"), ThemeFactory(slug="courage")
    run = RunFactory(user=member)
    data = payload(mood=4, energy=2, themes=["courage", "calm"], run=run.pk)

    response = client_for(member).post(URL, data, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["body"] == data["body"]
    assert body["client_id"] == data["client_id"]
    assert (body["mood"], body["energy"], body["run"]) == (4, 2, run.pk)
    assert body["themes"] == ["calm", "courage"]
    reflection = Reflection.objects.get()
    assert reflection.pk == body["id"]
    assert reflection.author == member
    assert set(reflection.themes.all()) == {calm, courage}
    assert reflection.run == run
    assert reflection_body(reflection=reflection) == data["body"]


def test_a_reflection_needs_only_a_body_and_a_client_id(client_for, member):
    data = payload()

    response = client_for(member).post(URL, data, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["mood"], body["energy"], body["run"], body["themes"]) == (None, None, None, [])
    assert Reflection.objects.filter(author=member).count() == 1


def test_a_reflection_keeps_its_line_breaks_and_surrounding_spaces(client_for, member):
    text = "  First line\n\n  indented second line  \n"

    response = client_for(member).post(URL, payload(body=text), format="json")

    assert response.status_code == 201
    assert response.json()["body"] == text
    assert reflection_body(reflection=Reflection.objects.get()) == text


def test_a_body_of_exactly_ten_thousand_characters_is_accepted(client_for, member):
    text = "a" * BODY_MAX_LENGTH

    response = client_for(member).post(URL, payload(body=text), format="json")

    assert response.status_code == 201
    assert response.json()["body"] == text


def test_sending_the_same_client_id_again_returns_the_first_reflection(client_for, member):
    client = client_for(member)
    data = payload(mood=3)
    first = client.post(URL, data, format="json")

    again = client.post(URL, data, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["body"] == data["body"]
    assert again.json()["mood"] == 3
    assert Reflection.objects.count() == 1


def test_two_people_may_use_the_same_client_id_without_seeing_each_others_reflection(client_for, member, teammate):
    client_id = str(uuid.uuid4())
    mine, theirs = payload(client_id=client_id), payload(client_id=client_id)

    first = client_for(member).post(URL, mine, format="json")
    second = client_for(teammate).post(URL, theirs, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["body"] == theirs["body"]
    assert mine["body"] not in second.content.decode()
    assert Reflection.objects.count() == 2


def test_an_anonymous_person_cannot_write_a_reflection(anonymous):
    response = anonymous.post(URL, payload(), format="json")

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    assert Reflection.objects.count() == 0


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"mood": 0}, ("mood", "min_value")),
        ({"mood": 6}, ("mood", "max_value")),
        ({"mood": "x"}, ("mood", "invalid")),
        ({"mood": 2.5}, ("mood", "invalid")),
        ({"energy": 0}, ("energy", "min_value")),
        ({"energy": 6}, ("energy", "max_value")),
        ({"energy": "lots"}, ("energy", "invalid")),
        ({"body": "b" * (BODY_MAX_LENGTH + 1)}, ("body", "max_length")),
        ({"body": ""}, ("body", "blank")),
        ({"body": "   \n  "}, ("body", "blank")),
        ({"body": None}, ("body", "null")),
        ({"body": ["a", "list"]}, ("body", "invalid")),
        ({"body": {"an": "object"}}, ("body", "invalid")),
        ({"themes": ["no-such-theme"]}, ("themes", "unknown_theme")),
        ({"themes": "calm"}, ("themes", "not_a_list")),
        ({"themes": ["calm", "calm", "calm", "calm", "calm", "calm", "calm"]}, ("themes", "max_length")),
        ({"run": "first"}, ("run", "invalid")),
        ({"run": 0}, ("run", "min_value")),
        ({"run": 987654321}, ("run", "run_not_found")),
        ({"client_id": "not-a-uuid"}, ("client_id", "invalid")),
        ({"client_id": ["not", "a", "uuid"]}, ("client_id", "invalid")),
        ({"client_id": None}, ("client_id", "null")),
    ],
)
def test_nonsense_is_refused_and_nothing_is_written(client_for, member, overrides, expected):
    ThemeFactory(slug="calm")

    response = client_for(member).post(URL, payload(**overrides), format="json")

    assert response.status_code == 400
    assert expected in error_codes(response)
    assert Reflection.objects.count() == 0


@pytest.mark.parametrize("missing", ["body", "client_id"])
def test_a_reflection_without_a_required_part_is_refused(client_for, member, missing):
    data = payload()
    del data[missing]

    response = client_for(member).post(URL, data, format="json")

    assert response.status_code == 400
    assert error_codes(response) == [(missing, "required")]
    assert Reflection.objects.count() == 0


def test_a_theme_tag_list_with_one_unknown_tag_is_refused_as_a_whole(client_for, member):
    ThemeFactory(slug="calm")

    response = client_for(member).post(URL, payload(themes=["calm", "nope"]), format="json")

    assert response.status_code == 400
    assert error_codes(response) == [("themes", "unknown_theme")]
    assert Reflection.objects.count() == 0


def test_a_reflection_cannot_be_tied_to_another_persons_run(client_for, member, teammate):
    their_run = RunFactory(user=teammate)

    response = client_for(member).post(URL, payload(run=their_run.pk), format="json")

    assert response.status_code == 400
    assert error_codes(response) == [("run", "run_not_found")]
    assert Reflection.objects.count() == 0


def test_a_request_body_that_is_not_a_json_object_is_refused(client_for, member):
    response = client_for(member).post(URL, ["a", "list"], format="json")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert Reflection.objects.count() == 0


def test_malformed_json_is_refused(client_for, member):
    response = client_for(member).generic("POST", URL, '{"body": "half', content_type="application/json")

    assert response.status_code == 400
    assert error_codes(response) == [(None, "parse_error")]
    assert Reflection.objects.count() == 0


# --- reading -------------------------------------------------------------------------------


def test_a_person_lists_only_their_own_reflections_newest_first(client_for, member, teammate, outsider):
    client = client_for(member)
    ids = [client.post(URL, payload(), format="json").json()["id"] for _ in range(3)]
    ReflectionFactory(author=teammate)
    ReflectionFactory(author=outsider)

    response = client.get(URL)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == list(reversed(ids))


def test_the_list_shows_each_reflection_decrypted_for_its_author(client_for, member):
    client = client_for(member)
    data = payload(mood=2)
    client.post(URL, data, format="json")

    (item,) = client.get(URL).json()["results"]

    assert item["body"] == data["body"]
    assert item["mood"] == 2


def test_the_list_is_cursor_paginated_without_gaps_or_repeats(client_for, member):
    mine = [ReflectionFactory(author=member).pk for _ in range(5)]
    client = client_for(member)

    first = client.get(URL, {"limit": 2})
    seen = [item["id"] for item in first.json()["results"]]
    page = first.json()
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [item["id"] for item in page["results"]]

    assert first.status_code == 200
    assert len(first.json()["results"]) == 2
    assert first.json()["previous"] is None
    assert first.json()["next"] is not None
    assert seen == sorted(mine, reverse=True)


@pytest.mark.parametrize("who", NOT_THE_AUTHOR)
def test_nobody_else_finds_a_members_reflection_in_their_list(request, client_for, member, who):
    text = secret()
    ReflectionFactory(author=member, body=text)
    other = request.getfixturevalue(who)

    response = client_for(other).get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert text not in response.content.decode()


def test_an_anonymous_person_cannot_list_reflections(anonymous, member):
    ReflectionFactory(author=member)

    response = anonymous.get(URL)

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]


def test_the_author_reads_their_reflection(client_for, member):
    theme = ThemeFactory(slug="calm")
    text = secret()
    reflection = ReflectionFactory(author=member, body=text, mood=5, energy=1)
    reflection.themes.set([theme])

    response = client_for(member).get(detail(reflection.pk))

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["body"], body["mood"], body["energy"], body["themes"]) == (
        reflection.pk,
        text,
        5,
        1,
        ["calm"],
    )


@pytest.mark.parametrize("who", NOT_THE_AUTHOR)
def test_nobody_but_the_author_can_read_a_reflection(request, client_for, member, who):
    text = secret()
    reflection = ReflectionFactory(author=member, body=text)
    other = request.getfixturevalue(who)

    response = client_for(other).get(detail(reflection.pk))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "reflection_not_found")]
    assert text not in response.content.decode()


def test_a_lead_cannot_read_a_members_reflection(client_for, member, lead):
    reflection = ReflectionFactory(author=member)

    response = client_for(lead).get(detail(reflection.pk))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "reflection_not_found")]


def test_someone_elses_reflection_looks_exactly_like_one_that_does_not_exist(client_for, member, teammate):
    reflection = ReflectionFactory(author=member)
    client = client_for(teammate)

    theirs = client.get(detail(reflection.pk))
    missing = client.get(detail(reflection.pk + 1000))

    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json() == missing.json()


def test_an_anonymous_person_cannot_read_a_reflection(anonymous, member):
    text = secret()
    reflection = ReflectionFactory(author=member, body=text)

    response = anonymous.get(detail(reflection.pk))

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    assert text not in response.content.decode()


def test_reading_an_unknown_reflection_is_not_found(client_for, member):
    response = client_for(member).get(detail(999999))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "reflection_not_found")]


def test_a_reflection_id_that_is_not_a_number_is_an_unknown_path(client_for, member):
    response = client_for(member).get(f"{URL}/abc")

    assert response.status_code == 404
    assert error_codes(response) == [(None, "not_found")]


# --- changing ------------------------------------------------------------------------------


def test_changing_the_mood_leaves_everything_else_as_it_was(client_for, member):
    theme = ThemeFactory(slug="calm")
    run = RunFactory(user=member)
    text = secret()
    reflection = ReflectionFactory(author=member, body=text, mood=2, energy=4, run=run)
    reflection.themes.set([theme])
    ciphertext = reflection.body_ciphertext

    response = client_for(member).patch(detail(reflection.pk), {"mood": 5}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["body"], body["mood"], body["energy"], body["run"], body["themes"]) == (text, 5, 4, run.pk, ["calm"])
    reflection.refresh_from_db()
    assert (reflection.mood, reflection.energy, reflection.run_id) == (5, 4, run.pk)
    assert reflection.body_ciphertext == ciphertext
    assert list(reflection.themes.all()) == [theme]


def test_changing_the_body_re_encrypts_it_and_keeps_the_ratings(client_for, member):
    reflection = ReflectionFactory(author=member, mood=3, energy=3)
    old_ciphertext = reflection.body_ciphertext
    new_text = secret("rewritten")

    response = client_for(member).patch(detail(reflection.pk), {"body": new_text}, format="json")

    assert response.status_code == 200
    assert response.json()["body"] == new_text
    reflection.refresh_from_db()
    assert reflection.body_ciphertext != old_ciphertext
    assert new_text not in reflection.body_ciphertext
    assert reflection_body(reflection=reflection) == new_text
    assert (reflection.mood, reflection.energy) == (3, 3)


def test_changing_a_reflection_moves_its_updated_time_but_not_its_created_time(client_for, member):
    reflection = ReflectionFactory(author=member)
    created_at, updated_at = reflection.created_at, reflection.updated_at

    response = client_for(member).patch(detail(reflection.pk), {"energy": 1}, format="json")

    assert response.status_code == 200
    reflection.refresh_from_db()
    assert reflection.created_at == created_at
    assert reflection.updated_at > updated_at


def test_theme_tags_are_replaced_by_the_given_list(client_for, member):
    calm, courage = ThemeFactory(slug="calm"), ThemeFactory(slug="courage")
    reflection = ReflectionFactory(author=member)
    reflection.themes.set([calm])

    response = client_for(member).patch(detail(reflection.pk), {"themes": ["courage"]}, format="json")

    assert response.status_code == 200
    assert response.json()["themes"] == ["courage"]
    assert list(reflection.themes.all()) == [courage]


def test_an_empty_theme_list_removes_every_tag(client_for, member):
    reflection = ReflectionFactory(author=member)
    reflection.themes.set([ThemeFactory(slug="calm")])

    response = client_for(member).patch(detail(reflection.pk), {"themes": []}, format="json")

    assert response.status_code == 200
    assert response.json()["themes"] == []
    assert reflection.themes.count() == 0


def test_ratings_and_the_run_can_be_cleared_with_null(client_for, member):
    reflection = ReflectionFactory(author=member, mood=4, energy=4, run=RunFactory(user=member))

    response = client_for(member).patch(
        detail(reflection.pk), {"mood": None, "energy": None, "run": None}, format="json"
    )

    assert response.status_code == 200
    reflection.refresh_from_db()
    assert (reflection.mood, reflection.energy, reflection.run_id) == (None, None, None)


def test_a_reflection_can_be_tied_to_one_of_ones_own_runs_later(client_for, member):
    reflection = ReflectionFactory(author=member)
    run = RunFactory(user=member)

    response = client_for(member).patch(detail(reflection.pk), {"run": run.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["run"] == run.pk
    reflection.refresh_from_db()
    assert reflection.run_id == run.pk


@pytest.mark.parametrize("who", NOT_THE_AUTHOR)
def test_nobody_else_can_change_a_reflection(request, client_for, member, who):
    text = secret()
    reflection = ReflectionFactory(author=member, body=text, mood=2)
    before = snapshot(reflection)
    other = request.getfixturevalue(who)

    response = client_for(other).patch(detail(reflection.pk), {"body": "overwritten", "mood": 5}, format="json")

    assert response.status_code == 404
    assert error_codes(response) == [(None, "reflection_not_found")]
    assert text not in response.content.decode()
    assert snapshot(reflection) == before


def test_an_anonymous_person_cannot_change_a_reflection(anonymous, member):
    reflection = ReflectionFactory(author=member, mood=2)
    before = snapshot(reflection)

    response = anonymous.patch(detail(reflection.pk), {"mood": 5}, format="json")

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    assert snapshot(reflection) == before


def test_changing_an_unknown_reflection_is_not_found(client_for, member):
    response = client_for(member).patch(detail(999999), {"mood": 3}, format="json")

    assert response.status_code == 404
    assert error_codes(response) == [(None, "reflection_not_found")]


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"mood": 0}, ("mood", "min_value")),
        ({"mood": 6}, ("mood", "max_value")),
        ({"mood": "x"}, ("mood", "invalid")),
        ({"energy": 9}, ("energy", "max_value")),
        ({"body": ""}, ("body", "blank")),
        ({"body": "   "}, ("body", "blank")),
        ({"body": "c" * (BODY_MAX_LENGTH + 1)}, ("body", "max_length")),
        ({"themes": ["no-such-theme"]}, ("themes", "unknown_theme")),
        ({"run": 987654321}, ("run", "run_not_found")),
        ({"run": "first"}, ("run", "invalid")),
    ],
)
def test_a_nonsense_change_is_refused_and_changes_nothing(client_for, member, change, expected):
    reflection = ReflectionFactory(author=member, mood=2, energy=2)
    reflection.themes.set([ThemeFactory(slug="calm")])
    before = snapshot(reflection)

    response = client_for(member).patch(detail(reflection.pk), change, format="json")

    assert response.status_code == 400
    assert error_codes(response) == [expected]
    assert snapshot(reflection) == before


def test_a_change_that_fails_part_way_changes_nothing_at_all(client_for, member):
    """The new body and mood are valid; the theme tag is not: none of it may stick."""
    reflection = ReflectionFactory(author=member, mood=2)
    reflection.themes.set([ThemeFactory(slug="calm")])
    before = snapshot(reflection)

    response = client_for(member).patch(
        detail(reflection.pk), {"body": secret("new"), "mood": 5, "themes": ["no-such-theme"]}, format="json"
    )

    assert response.status_code == 400
    assert error_codes(response) == [("themes", "unknown_theme")]
    assert snapshot(reflection) == before


def test_a_reflection_cannot_be_moved_onto_another_persons_run(client_for, member, teammate):
    reflection = ReflectionFactory(author=member, run=RunFactory(user=member))
    before = snapshot(reflection)

    response = client_for(member).patch(detail(reflection.pk), {"run": RunFactory(user=teammate).pk}, format="json")

    assert response.status_code == 400
    assert error_codes(response) == [("run", "run_not_found")]
    assert snapshot(reflection) == before


# --- deleting ------------------------------------------------------------------------------


def test_the_author_deletes_their_reflection_and_it_is_gone(client_for, member):
    reflection = ReflectionFactory(author=member)
    client = client_for(member)

    deleted = client.delete(detail(reflection.pk))
    read_after = client.get(detail(reflection.pk))
    deleted_again = client.delete(detail(reflection.pk))

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert read_after.status_code == 404
    assert deleted_again.status_code == 404
    assert error_codes(deleted_again) == [(None, "reflection_not_found")]
    assert not Reflection.objects.filter(pk=reflection.pk).exists()


def test_deleting_one_reflection_leaves_the_authors_others(client_for, member):
    doomed, kept = ReflectionFactory(author=member), ReflectionFactory(author=member)

    response = client_for(member).delete(detail(doomed.pk))

    assert response.status_code == 204
    assert list(Reflection.objects.values_list("pk", flat=True)) == [kept.pk]


def test_deleting_a_reflection_keeps_the_run_and_themes_it_was_tied_to(client_for, member):
    run = RunFactory(user=member)
    theme = ThemeFactory(slug="calm")
    reflection = ReflectionFactory(author=member, run=run)
    reflection.themes.set([theme])

    response = client_for(member).delete(detail(reflection.pk))

    assert response.status_code == 204
    assert Run.objects.filter(pk=run.pk, user=member).exists()
    assert Theme.objects.filter(pk=theme.pk).exists()


@pytest.mark.parametrize("who", NOT_THE_AUTHOR)
def test_nobody_else_can_delete_a_reflection(request, client_for, member, who):
    reflection = ReflectionFactory(author=member)
    before = snapshot(reflection)
    other = request.getfixturevalue(who)

    response = client_for(other).delete(detail(reflection.pk))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "reflection_not_found")]
    assert snapshot(reflection) == before


def test_an_anonymous_person_cannot_delete_a_reflection(anonymous, member):
    reflection = ReflectionFactory(author=member)

    response = anonymous.delete(detail(reflection.pk))

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    assert Reflection.objects.filter(pk=reflection.pk).exists()


def test_deleting_an_unknown_reflection_is_not_found(client_for, member):
    ReflectionFactory(author=member)

    response = client_for(member).delete(detail(999999))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "reflection_not_found")]
    assert Reflection.objects.count() == 1


# --- privacy -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_plaintext_body_never_reaches_the_database(client_for, member):
    text = secret("on disk")
    data = payload(body=text, mood=4)

    response = client_for(member).post(URL, data, format="json")

    assert response.status_code == 201
    client_id = uuid.UUID(data["client_id"])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
        database = Path(connection.settings_dict["NAME"])
        stored = database.read_bytes()
        # Something non-secret of the same row is on disk (Django keeps a UUID as 32 hex
        # characters on SQLite), so the search below is looking at the right bytes.
        assert client_id.hex.encode() in stored
        assert text.encode() not in stored
        for extra in (Path(f"{database}-wal"), Path(f"{database}-journal")):
            if extra.exists():
                assert text.encode() not in extra.read_bytes()
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM reflections_reflection")
            rows = cursor.fetchall()
        assert len(rows) == 1
        assert any(str(value) == str(client_id) for value in rows[0])
        assert not any(text in str(value) for value in rows[0])
    else:
        raise AssertionError(f"No privacy check written for {connection.vendor}")


def test_the_body_never_appears_in_the_logs(client_for, member, caplog):
    created_text, changed_text = secret("created"), secret("changed")
    client = client_for(member)
    with caplog.at_level(logging.DEBUG):
        # SQL logging on too: the statements and their parameters must carry ciphertext only.
        connection.force_debug_cursor = True
        try:
            created = client.post(URL, payload(body=created_text, mood=3), format="json")
            reflection_id = created.json()["id"]
            client.get(URL)
            client.get(detail(reflection_id))
            client.patch(detail(reflection_id), {"body": changed_text}, format="json")
            client.get(detail(reflection_id))
            refused = client.post(URL, payload(body=created_text, mood=9), format="json")
        finally:
            connection.force_debug_cursor = False

    assert created.status_code == 201
    assert refused.status_code == 400
    assert caplog.records, "nothing was logged at all, so the check below proves nothing"
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert created_text not in logged
    assert changed_text not in logged


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"mood": 6}, ("mood", "max_value")),
        ({"mood": "x"}, ("mood", "invalid")),
        ({"energy": 0}, ("energy", "min_value")),
        ({"themes": ["no-such-theme"]}, ("themes", "unknown_theme")),
        ({"run": 987654321}, ("run", "run_not_found")),
        ({"client_id": "not-a-uuid"}, ("client_id", "invalid")),
    ],
)
def test_an_error_response_never_echoes_the_body(client_for, member, overrides, expected):
    text = secret("echo")

    response = client_for(member).post(URL, payload(body=text, **overrides), format="json")

    assert response.status_code == 400
    assert expected in error_codes(response)
    assert text not in response.content.decode()


def test_an_over_long_body_is_not_echoed_in_the_error(client_for, member):
    text = (secret("long") + " ") * (BODY_MAX_LENGTH // 60 + 10)
    assert len(text) > BODY_MAX_LENGTH

    response = client_for(member).post(URL, payload(body=text), format="json")

    assert response.status_code == 400
    assert error_codes(response) == [("body", "max_length")]
    assert text[:80] not in response.content.decode()


def test_a_refused_change_never_echoes_the_new_body(client_for, member):
    reflection = ReflectionFactory(author=member)
    text = secret("patch echo")

    response = client_for(member).patch(detail(reflection.pk), {"body": text, "mood": 0}, format="json")

    assert response.status_code == 400
    assert text not in response.content.decode()


def test_a_reflection_reads_as_a_number_and_never_its_text(member):
    text = secret()
    reflection = ReflectionFactory(author=member, body=text)

    assert text not in str(reflection)
    assert text not in repr(reflection)


# --- key rotation --------------------------------------------------------------------------


@pytest.fixture
def old_key(settings):
    key = Fernet.generate_key().decode()
    settings.REFLECTION_KEYS = [key]
    return key


@pytest.fixture
def new_key():
    return Fernet.generate_key().decode()


def test_reflections_written_under_the_old_key_still_read_once_a_new_key_is_put_first(
    client_for, member, settings, old_key, new_key
):
    text = secret("old key")
    reflection = ReflectionFactory(author=member, body=text)

    settings.REFLECTION_KEYS = [new_key, old_key]
    response = client_for(member).get(detail(reflection.pk))

    assert response.status_code == 200
    assert response.json()["body"] == text


def test_new_reflections_are_written_under_the_first_key(client_for, member, settings, old_key, new_key):
    settings.REFLECTION_KEYS = [new_key, old_key]
    text = secret("new key")

    response = client_for(member).post(URL, payload(body=text), format="json")

    assert response.status_code == 201
    ciphertext = Reflection.objects.get().body_ciphertext
    assert Fernet(new_key.encode()).decrypt(ciphertext.encode()).decode() == text
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(ciphertext.encode())


def test_without_rotation_dropping_the_old_key_leaves_old_reflections_unreadable(member, settings, old_key, new_key):
    reflection = ReflectionFactory(author=member)

    settings.REFLECTION_KEYS = [new_key]

    with pytest.raises(InvalidToken):
        reflection_body(reflection=reflection)


def test_after_rotating_keys_reflections_read_with_only_the_new_key(
    client_for, member, teammate, settings, old_key, new_key
):
    mine_text, theirs_text = secret("mine"), secret("theirs")
    mine = client_for(member).post(URL, payload(body=mine_text, mood=4), format="json").json()
    theirs = client_for(teammate).post(URL, payload(body=theirs_text), format="json").json()
    ciphertexts_before = dict(Reflection.objects.values_list("pk", "body_ciphertext"))

    settings.REFLECTION_KEYS = [new_key, old_key]
    output = StringIO()
    call_command("rotate_reflection_keys", stdout=output)
    settings.REFLECTION_KEYS = [new_key]
    mine_after = client_for(member).get(detail(mine["id"]))
    theirs_after = client_for(teammate).get(detail(theirs["id"]))

    assert "2" in output.getvalue()
    assert (mine_after.status_code, theirs_after.status_code) == (200, 200)
    assert mine_after.json()["body"] == mine_text
    assert mine_after.json()["mood"] == 4
    assert theirs_after.json()["body"] == theirs_text
    for pk, ciphertext in Reflection.objects.values_list("pk", "body_ciphertext"):
        assert ciphertext != ciphertexts_before[pk]
        with pytest.raises(InvalidToken):
            Fernet(old_key.encode()).decrypt(ciphertext.encode())


def test_rotation_reaches_every_reflection_across_batches(member, settings, old_key, new_key):
    texts = {ReflectionFactory(author=member, body=f"note {n}").pk: f"note {n}" for n in range(5)}

    settings.REFLECTION_KEYS = [new_key, old_key]
    rotated = reflection_keys_rotate(batch_size=2)
    settings.REFLECTION_KEYS = [new_key]

    assert rotated == 5
    assert {reflection.pk: reflection_body(reflection=reflection) for reflection in Reflection.objects.all()} == texts


def test_rotating_twice_is_harmless(member, settings, old_key, new_key):
    text = secret()
    reflection = ReflectionFactory(author=member, body=text)

    settings.REFLECTION_KEYS = [new_key, old_key]
    call_command("rotate_reflection_keys", stdout=StringIO())
    call_command("rotate_reflection_keys", stdout=StringIO())
    settings.REFLECTION_KEYS = [new_key]

    reflection.refresh_from_db()
    assert crypto.decrypt(reflection.body_ciphertext) == text


# --- the admin -----------------------------------------------------------------------------


def test_the_admin_index_has_no_link_to_reflections(client, staff_admin, member):
    ReflectionFactory(author=member)
    client.force_login(staff_admin)

    response = client.get("/admin/")

    assert response.status_code == 200
    page = response.content.decode().lower()
    assert "/admin/exercises/exercise/" in page  # the index itself, with its app list
    assert "reflection" not in page


@pytest.mark.parametrize(
    "path",
    ["/admin/reflections/reflection/", "/admin/reflections/", "/admin/reflections/reflection/{pk}/change/"],
)
def test_the_admin_has_no_page_for_reflections(client, staff_admin, member, path):
    text = secret()
    reflection = ReflectionFactory(author=member, body=text)
    client.force_login(staff_admin)

    response = client.get(path.format(pk=reflection.pk))

    assert response.status_code == 404
    assert text not in response.content.decode()
