"""The catalogue in the person's language: every text of the content pack is served in the
profile's locale, in English where the pack has no translation, and a French nudge never names
an exercise in English."""

import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from accounts.factories import UserFactory
from exercises.content import DEFAULT_PACK, ContentPackError, read_pack
from exercises.factories import ExerciseFactory, StepFactory, ThemeFactory
from exercises.models import Exercise, Step
from exercises.services import content_pack_load
from group_sessions.services import session_start
from nudges.clock import nudges_plan
from nudges.delivery import nudges_deliver
from nudges.models import Kind, Nudge
from pairs.factories import PairExerciseFactory
from pairs.services import pair_invite

pytestmark = pytest.mark.django_db

TUESDAY_NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def pack(tmp_path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(DEFAULT_PACK, copy)
    return copy


@pytest.fixture
def french(member):
    member.locale = "fr-CA"
    member.save(update_fields=["locale"])
    return member


@pytest.fixture
def in_both_languages():
    """A solo exercise with every text translated, in a translated theme."""
    theme = ThemeFactory(
        slug="inquiry",
        name="Humble inquiry",
        summary="Ask first.",
        translations={"fr": {"name": "L'art de questionner", "summary": "Demandez d'abord."}},
    )
    exercise = ExerciseFactory(
        theme=theme,
        title="Ask before you tell",
        summary="Open with a question.",
        reflection_prompts=["What did you hear?"],
        translations={
            "fr": {
                "title": "Demander avant de dire",
                "summary": "Commencez par une question.",
                "reflection_prompts": ["Qu'avez-vous entendu ?"],
            }
        },
        steps=[],
    )
    StepFactory(exercise=exercise, position=1, text="Think.", translations={"fr": {"text": "Réfléchissez."}})
    StepFactory(exercise=exercise, position=2, kind=Step.Kind.REFLECT, text="Write.", translations={})
    return exercise


# The shipped pack


def test_every_text_of_the_shipped_pack_has_its_french():
    content = read_pack()
    for theme in content.themes:
        assert set(theme.translations["fr"]) == {"name", "summary"}, theme.slug
    for exercise in content.exercises:
        assert set(exercise.translations["fr"]) == {"title", "summary", "reflection_prompts"}, exercise.slug
        assert all(step.translations["fr"]["text"] for step in exercise.steps), exercise.slug


def test_loading_the_pack_stores_the_french_beside_the_english(pack):
    content_pack_load(directory=pack)
    exercise = Exercise.objects.get(slug="ask-before-you-tell")
    assert exercise.translations["fr"]["title"] != exercise.title
    assert all(step.translations["fr"]["text"] for step in exercise.steps.all())


@pytest.mark.parametrize(
    "old, new",
    [
        ("fr.title = ", "fr.tagline = "),
        ("fr.title = ", "fr.title = 3\nfr.unused = "),
        ('fr.reflection_prompts = ["', 'fr.reflection_prompts = ["", "'),
        ('fr.text = "', 'fr.text = "  "\nfr.seconds = "'),
    ],
    ids=["a text that is not translated", "not words", "prompts of another length", "a blank text"],
)
def test_a_pack_with_a_bad_translation_is_refused_and_loads_nothing(pack, old, new):
    file = pack / "exercises" / "humble-inquiry.toml"
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))
    with pytest.raises(ContentPackError):
        content_pack_load(directory=pack)
    assert Exercise.objects.count() == 0


def test_a_pack_where_a_text_has_no_french_loads_and_keeps_it_in_english(pack):
    file = pack / "exercises" / "humble-inquiry.toml"
    text = file.read_text()
    start = text.index('fr.title = "', text.index('slug = "ask-before-you-tell"'))
    file.write_text(text[:start] + text[text.index("\n", start) + 1 :])
    content_pack_load(directory=pack)
    assert "title" not in Exercise.objects.get(slug="ask-before-you-tell").translations["fr"]


# Served in the person's language


def test_a_french_speaker_reads_the_catalogue_in_french(client_for, french, in_both_languages):
    body = client_for(french).get(f"/api/v1/exercises/{in_both_languages.slug}").json()
    assert (body["title"], body["summary"], body["reflection_prompts"]) == (
        "Demander avant de dire",
        "Commencez par une question.",
        ["Qu'avez-vous entendu ?"],
    )
    assert body["theme"]["name"] == "L'art de questionner"
    assert client_for(french).get("/api/v1/exercises").json()["results"][0]["steps"][0]["text"] == "Réfléchissez."


def test_a_french_speaker_reads_the_themes_in_french(client_for, french, in_both_languages):
    [theme] = client_for(french).get("/api/v1/themes").json()["results"]
    assert (theme["name"], theme["summary"]) == ("L'art de questionner", "Demandez d'abord.")


def test_a_text_with_no_french_is_served_in_english(client_for, french, in_both_languages):
    body = client_for(french).get(f"/api/v1/exercises/{in_both_languages.slug}").json()
    assert [step["text"] for step in body["steps"]] == ["Réfléchissez.", "Write."]


def test_an_english_speaker_reads_the_catalogue_in_english(client_for, member, in_both_languages):
    body = client_for(member).get(f"/api/v1/exercises/{in_both_languages.slug}").json()
    assert (body["title"], body["theme"]["name"]) == ("Ask before you tell", "Humble inquiry")
    assert [step["text"] for step in body["steps"]] == ["Think.", "Write."]


def test_a_french_speakers_today_is_in_french(client_for, french, in_both_languages):
    with time_machine.travel(TUESDAY_NOON, tick=False):
        body = client_for(french).get("/api/v1/today").json()
    assert (body["exercise"]["title"], body["exercise"]["steps"][0]["text"]) == (
        "Demander avant de dire",
        "Réfléchissez.",
    )


def test_a_french_speakers_runs_name_their_exercise_in_french(client_for, french, in_both_languages):
    response = client_for(french).post(
        "/api/v1/runs",
        {"exercise": in_both_languages.slug, "client_id": "8d6f3c1e-0000-4000-8000-000000000001"},
        format="json",
    )
    assert response.json()["exercise"]["title"] == "Demander avant de dire"
    assert client_for(french).get("/api/v1/runs").json()["results"][0]["exercise"]["title"] == "Demander avant de dire"


# The daily nudge


def daily_nudge_for(user) -> Nudge:
    morning, nine = datetime(2026, 6, 10, 8, 0, tzinfo=UTC), datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    with time_machine.travel(morning, tick=False):
        nudges_plan(now=morning)
    with time_machine.travel(nine, tick=False):
        nudges_deliver(now=nine)
    return Nudge.objects.get(user=user, kind=Kind.DAILY_EXERCISE, planned_for=date(2026, 6, 10))


def test_a_french_speakers_daily_nudge_names_the_exercise_in_french(in_both_languages):
    someone = UserFactory(time_zone="UTC", locale="fr")
    nudge = daily_nudge_for(someone)
    assert "Demander avant de dire" in nudge.body
    assert "Ask before you tell" not in nudge.body


def test_a_daily_nudge_for_an_exercise_with_no_french_title_keeps_the_english_one():
    ExerciseFactory(title="Three good things", translations={})
    someone = UserFactory(time_zone="UTC", locale="fr")
    assert "Three good things" in daily_nudge_for(someone).body


# Nudges that name an exercise someone else chose


def sent_now(kind: str, user) -> Nudge:
    """Delivered at the next noon (UTC, the person's zone), so quiet hours never hold it back."""
    noon = (datetime.now(UTC) + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    nudges_deliver(now=noon)
    return Nudge.objects.get(user=user, kind=kind)


def test_a_french_speaker_told_of_a_live_session_reads_its_exercise_in_french(lead, team, french):
    exercise = ExerciseFactory(
        mode=Exercise.Mode.GROUP, title="Ask before you tell", translations={"fr": {"title": "Demander avant de dire"}}
    )
    session_start(lead=lead, team_id=team.pk, exercise_slug=exercise.slug, client_id=uuid.uuid4())
    body = sent_now(Kind.SESSION_STARTED, french).body
    assert "Demander avant de dire" in body and "Ask before you tell" not in body


def test_a_french_speaker_invited_to_a_pair_reads_its_exercise_in_french(teammate, french):
    exercise = PairExerciseFactory(
        title="Ask before you tell", translations={"fr": {"title": "Demander avant de dire"}}
    )
    pair_invite(inviter=teammate, exercise_slug=exercise.slug, partner_id=french.pk, note="", client_id=uuid.uuid4())
    body = sent_now(Kind.PAIR_INVITED, french).body
    assert "Demander avant de dire" in body and "Ask before you tell" not in body
