"""Phones keep the catalogue and fetch it only when it changed: every catalogue answer carries
the catalogue's version and an ETag of it and the reader's language, and the ETag sent back is
answered 304, without a body, until a content pack or an edit in the admin changes the catalogue."""

import shutil

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exercises.content import DEFAULT_PACK
from exercises.factories import ExerciseFactory, ThemeFactory
from exercises.models import Exercise
from exercises.selectors import PERSONAL_MODES, catalogue_version, kept_catalogue
from exercises.services import content_pack_load

pytestmark = pytest.mark.django_db

THEMES, EXERCISES = "/api/v1/themes", "/api/v1/exercises"


@pytest.fixture
def catalogue():
    content_pack_load()


@pytest.fixture
def signed_in_admin(client, staff_admin):
    client.force_login(staff_admin)
    return client


def exercise_path() -> str:
    return f"{EXERCISES}/{ExerciseFactory().slug}"


@pytest.mark.parametrize("path", [THEMES, EXERCISES, "exercise"])
def test_a_catalogue_answer_carries_its_version_and_an_etag(client_for, member, catalogue, path):
    path = exercise_path() if path == "exercise" else path
    response = client_for(member).get(path)
    assert response.status_code == 200
    assert int(response["Catalogue-Version"]) > 0
    assert response["ETag"] == f'"{response["Catalogue-Version"]}-{member.locale}"'
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("path", [THEMES, EXERCISES, "exercise"])
def test_the_etag_sent_back_is_answered_304_without_a_body(client_for, member, catalogue, path):
    path = exercise_path() if path == "exercise" else path
    client = client_for(member)
    etag = client.get(path)["ETag"]
    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)


def test_a_304_costs_one_query_beyond_signing_in(client_for, member, catalogue):
    client = client_for(member)
    etag = client.get(EXERCISES)["ETag"]
    with CaptureQueriesContext(connection) as full:
        client.get(EXERCISES)
    with CaptureQueriesContext(connection) as unchanged:
        assert client.get(EXERCISES, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert len(unchanged) < len(full)
    assert not any("exercises_exercise" in query["sql"] for query in unchanged.captured_queries)


def test_a_changed_content_pack_moves_the_version_on(client_for, member, catalogue, tmp_path):
    client = client_for(member)
    before = client.get(THEMES)
    pack = tmp_path / "content"
    shutil.copytree(DEFAULT_PACK, pack)
    manifest = pack / "pack.toml"
    manifest.write_text(manifest.read_text().replace('name = "', 'name = "Newly ', 1))
    assert content_pack_load(directory=pack) is not None

    after = client.get(THEMES, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert int(after["Catalogue-Version"]) > int(before["Catalogue-Version"])
    assert after["ETag"] != before["ETag"]


def test_the_same_pack_loaded_again_keeps_the_version(client_for, member, catalogue):
    client = client_for(member)
    etag = client.get(THEMES)["ETag"]
    content_pack_load()
    assert client.get(THEMES, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_an_edit_in_the_admin_moves_the_version_on(client_for, member, signed_in_admin):
    theme = ThemeFactory(name="Presence", summary="Attention, not only words")
    etag = client_for(member).get(THEMES)["ETag"]
    edited = signed_in_admin.post(
        f"/admin/exercises/theme/{theme.pk}/change/",
        {"slug": theme.slug, "name": "Being present", "summary": theme.summary, "position": 0, "translations": "{}"},
    )
    assert edited.status_code == 302, edited.content
    assert client_for(member).get(THEMES, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_deletion_in_the_admin_moves_the_version_on(client_for, member, signed_in_admin):
    exercise = ExerciseFactory()
    path = f"{EXERCISES}/{exercise.slug}"
    etag = client_for(member).get(path)["ETag"]
    deleted = signed_in_admin.post(f"/admin/exercises/exercise/{exercise.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302, deleted.content
    refused = client_for(member).get(path, HTTP_IF_NONE_MATCH=etag)
    assert refused.status_code == 404


def test_a_reader_in_another_language_gets_another_etag(client_for, member, teammate, catalogue):
    teammate.locale = "fr"
    teammate.save(update_fields=["locale"])
    english = client_for(member).get(THEMES)["ETag"]
    french = client_for(teammate).get(THEMES, HTTP_IF_NONE_MATCH=english)
    assert french.status_code == 200 and french["ETag"] != english


def test_changing_ones_language_fetches_the_catalogue_again(client_for, member, catalogue):
    client = client_for(member)
    etag = client.get(THEMES)["ETag"]
    assert client.patch("/api/v1/me", {"locale": "fr"}, format="json").status_code == 200
    assert client.get(THEMES, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_an_etag_does_not_stand_for_signing_in(client, member, client_for, catalogue):
    etag = client_for(member).get(THEMES)["ETag"]
    refused = client.get(THEMES, HTTP_IF_NONE_MATCH=etag)
    assert refused.status_code == 401


@pytest.mark.parametrize(
    "sent",
    ['"999999-en"', "*garbage*", 'W/"1-en"' * 500, '"١-en"', '"-1-en"', '\u202e"1-en"', ""],
)
def test_an_etag_the_server_never_gave_fetches_the_catalogue(client_for, member, catalogue, sent):
    response = client_for(member).get(THEMES, HTTP_IF_NONE_MATCH=sent)
    assert response.status_code == 200
    assert response.json()["results"]


# Today's screen: each server process keeps the catalogue it read, for the version it read it at.

TODAY = "/api/v1/today"


def catalogue_reads(client, path: str) -> int:
    """How many of the request's queries read the catalogue's steps."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return sum("exercises_step" in query["sql"] for query in captured.captured_queries)


def test_todays_screen_reads_the_catalogue_once_per_version(client_for, member, teammate, catalogue):
    first = catalogue_reads(client_for(member), TODAY)
    again = catalogue_reads(client_for(member), TODAY)
    colleague = catalogue_reads(client_for(teammate), TODAY)
    assert (first, again, colleague) == (1, 0, 0)


def test_an_edit_in_the_admin_reaches_todays_screen_at_once(client_for, member, signed_in_admin):
    theme = ThemeFactory(name="Presence", summary="Attention, not only words")
    ExerciseFactory(theme=theme, mode=Exercise.Mode.SOLO)
    phone = client_for(member)
    assert phone.get(TODAY).json()["exercise"]["theme"]["name"] == "Presence"
    edited = signed_in_admin.post(
        f"/admin/exercises/theme/{theme.pk}/change/",
        {"slug": theme.slug, "name": "Being present", "summary": theme.summary, "position": 0, "translations": "{}"},
    )
    assert edited.status_code == 302, edited.content
    assert phone.get(TODAY).json()["exercise"]["theme"]["name"] == "Being present"


def test_a_lead_and_a_member_of_one_organisation_are_offered_what_each_may_do(client_for, member, lead, catalogue):
    for_leads = Exercise.objects.filter(audience=Exercise.Audience.LEADS, mode__in=PERSONAL_MODES)
    assert for_leads.exists()
    client_for(lead).get(TODAY)
    member_offered = kept_catalogue.offered(
        version=catalogue_version(), organisation_id=member.organisation_id, leads=False
    )
    assert not {exercise.pk for exercise in member_offered} & set(for_leads.values_list("pk", flat=True))
