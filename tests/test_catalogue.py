"""The exercise catalogue: the content pack in the repo, and reading it over the API."""

import re
import shutil
from pathlib import Path

import pytest

from exercises.content import DEFAULT_PACK, ContentPackError, read_pack
from exercises.factories import ExerciseFactory, ThemeFactory
from exercises.models import ContentPackLoad, Exercise, Step, Theme
from exercises.services import content_pack_load
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(tmp_path) -> Path:
    """A private copy of the real content pack, to change in a test."""
    copy = tmp_path / "content"
    shutil.copytree(DEFAULT_PACK, copy)
    return copy


# The content pack


def test_the_shipped_pack_covers_every_theme_in_every_mode():
    content = read_pack()
    assert len(content.exercises) >= 24
    assert len(content.themes) == 6
    for theme in content.themes:
        modes = {exercise.mode for exercise in content.exercises if exercise.theme == theme.slug}
        assert modes == {"solo", "pair", "group"}, theme.slug
    assert all(2 <= exercise.duration_minutes <= 10 for exercise in content.exercises)


@pytest.mark.parametrize(
    "slug, theme, mode",
    [
        ("shared-work-one-name", "collective-effort", "group"),  # responsibility shared, accountability not
        ("our-frame-for-initiative", "jumping-in", "group"),  # the team's frame for initiative
        ("fix-it-now-report-the-cause", "contribution", "solo"),  # the customer now, the system's fault after
        ("my-part-in-how-things-are", "jumping-in", "solo"),  # my own part in the status quo
        ("a-purpose-we-can-measure", "collective-effort", "group"),  # measurable, and what each one gets
        ("earn-the-room", "collective-effort", "solo"),  # the facilitator earns the group's authority
        ("full-attention", "whole-person", "pair"),  # presence: attention, not only words
        ("first-conversation-with-a-team-you-depend-on", "contribution", "solo"),
    ],
)
def test_the_pack_teaches_each_founding_idea(slug, theme, mode):
    exercise = next(exercise for exercise in read_pack().exercises if exercise.slug == slug)
    assert (exercise.theme, exercise.mode) == (theme, mode)


def test_loading_the_pack_twice_creates_nothing_twice(pack):
    content_pack_load(directory=pack)
    counts = (Theme.objects.count(), Exercise.objects.count(), Step.objects.count())
    assert content_pack_load(directory=pack, force=True) is not None
    assert (Theme.objects.count(), Exercise.objects.count(), Step.objects.count()) == counts
    assert counts[1] == len(read_pack(pack).exercises)


def test_an_unchanged_pack_is_not_loaded_again_so_admin_edits_survive(pack):
    content_pack_load(directory=pack)
    Exercise.objects.filter(slug="ask-before-you-tell").update(title="Edited in the admin")
    assert content_pack_load(directory=pack) is None
    assert Exercise.objects.get(slug="ask-before-you-tell").title == "Edited in the admin"
    assert ContentPackLoad.objects.count() == 1


def test_a_changed_pack_updates_exercises_and_their_steps_in_place(pack):
    content_pack_load(directory=pack)
    exercise = Exercise.objects.get(slug="ask-before-you-tell")
    file = pack / "exercises" / "humble-inquiry.toml"
    file.write_text(file.read_text().replace('title = "Ask before you tell"', 'title = "Ask first"'))
    assert content_pack_load(directory=pack) is not None
    exercise.refresh_from_db()
    assert exercise.title == "Ask first"
    assert list(exercise.steps.values_list("position", flat=True)) == list(range(1, exercise.steps.count() + 1))


def test_an_exercise_dropped_from_the_pack_is_retired_not_deleted(pack):
    content_pack_load(directory=pack)
    file = pack / "exercises" / "humble-inquiry.toml"
    text = file.read_text()
    start = text.index('[[exercise]]\nslug = "ask-before-you-tell"')
    end = text.index("[[exercise]]", start + 1)
    file.write_text(text[:start] + text[end:])
    content_pack_load(directory=pack)
    assert Exercise.objects.get(slug="ask-before-you-tell").is_active is False


@pytest.mark.parametrize(
    "old, new",
    [
        ('mode = "solo"', 'mode = "trio"'),
        ("duration_minutes = 5", "duration_minutes = 45"),
        ('kind = "reflect"', 'kind = "dance"'),
        ('theme = "humble-inquiry"', 'theme = "nowhere"'),
        ("[[exercise]]", "[[exercise]"),
    ],
)
def test_a_broken_pack_is_refused_and_loads_nothing(pack, old, new):
    file = pack / "exercises" / "humble-inquiry.toml"
    file.write_text(file.read_text().replace(old, new, 1))
    with pytest.raises(ContentPackError):
        content_pack_load(directory=pack)
    assert Exercise.objects.count() == 0


# Check-in questions: one stable id per question, so team health rolls them up together

QUESTION_SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def test_every_check_in_of_the_shipped_pack_names_its_question():
    checkins = [step for exercise in read_pack().exercises for step in exercise.steps if step.kind == "checkin"]
    assert len(checkins) == 13
    for step in checkins:
        assert re.match(QUESTION_SLUG, step.question), step.text
        assert step.question_name


def test_a_question_id_means_one_question_across_the_pack():
    names = {}
    for step in (step for exercise in read_pack().exercises for step in exercise.steps if step.question):
        assert names.setdefault(step.question, step.question_name) == step.question_name
    assert len(set(names.values())) == len(names)


def test_only_check_ins_carry_a_question():
    steps = [step for exercise in read_pack().exercises for step in exercise.steps]
    assert all(bool(step.question) == (step.kind == "checkin") for step in steps)


def test_loading_the_pack_stores_each_check_ins_question(pack):
    content_pack_load(directory=pack)
    step = Step.objects.get(exercise__slug="something-i-got-wrong", kind=Step.Kind.CHECKIN)
    assert (step.question, step.question_name) == ("safe-to-admit-mistakes", "Safe to admit mistakes")


def test_renaming_a_question_in_the_pack_updates_the_stored_step(pack):
    content_pack_load(directory=pack)
    file = pack / "exercises" / "psychological-safety.toml"
    file.write_text(file.read_text().replace('"Safe to disagree"', '"Safe to disagree here"'))
    content_pack_load(directory=pack)
    assert Step.objects.get(question="safe-to-disagree").question_name == "Safe to disagree here"


@pytest.mark.parametrize(
    "old, new",
    [
        ('question = "safe-to-admit-mistakes"\n', ""),
        ('question_name = "Safe to admit mistakes"\n', ""),
        ('question = "safe-to-admit-mistakes"', 'question = "Safe To Admit"'),
        ('question = "safe-to-admit-mistakes"', 'question = "safe-to-disagree"'),
        ('question_name = "Safe to admit mistakes"', 'question_name = "Safe to disagree"'),
        ('kind = "share"\n', 'kind = "share"\nquestion = "a-share"\nquestion_name = "A share"\n'),
    ],
    ids=["missing id", "missing name", "not a slug", "one id, two names", "one name, two ids", "on a share"],
)
def test_a_pack_with_a_bad_check_in_question_is_refused_and_loads_nothing(pack, old, new):
    file = pack / "exercises" / "psychological-safety.toml"
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))
    with pytest.raises(ContentPackError):
        content_pack_load(directory=pack)
    assert Exercise.objects.count() == 0


# Reading the catalogue


def test_the_themes_are_listed_in_their_order(client_for, member):
    ThemeFactory(slug="second", position=2)
    ThemeFactory(slug="first", position=1)
    body = client_for(member).get("/api/v1/themes").json()
    assert [theme["slug"] for theme in body["results"]] == ["first", "second"]


def test_exercises_can_be_filtered_by_theme_and_mode(client_for, member):
    theme = ThemeFactory(slug="inquiry")
    wanted = ExerciseFactory(theme=theme, mode=Exercise.Mode.PAIR)
    ExerciseFactory(theme=theme, mode=Exercise.Mode.SOLO)
    ExerciseFactory(mode=Exercise.Mode.PAIR)
    response = client_for(member).get("/api/v1/exercises", {"theme": "inquiry", "mode": "pair"})
    assert [exercise["slug"] for exercise in response.json()["results"]] == [wanted.slug]


def test_an_exercise_comes_with_its_ordered_steps(client_for, member):
    exercise = ExerciseFactory()
    body = client_for(member).get(f"/api/v1/exercises/{exercise.slug}").json()
    assert [step["position"] for step in body["steps"]] == sorted(step.position for step in exercise.steps.all())
    assert body["theme"]["slug"] == exercise.theme.slug


def test_a_retired_exercise_is_not_in_the_catalogue(client_for, member):
    retired = ExerciseFactory(is_active=False)
    client = client_for(member)
    assert client.get(f"/api/v1/exercises/{retired.slug}").status_code == 404
    assert client.get("/api/v1/exercises").json()["results"] == []


@pytest.mark.parametrize("query, attr", [({"mode": "trio"}, "mode"), ({"theme": "no-such-theme"}, "theme")])
def test_a_nonsense_filter_is_a_clear_error(client_for, member, query, attr):
    response = client_for(member).get("/api/v1/exercises", query)
    assert response.status_code == 400
    assert [a for a, _ in error_codes(response)] == [attr]


def test_an_unknown_exercise_is_not_found(client_for, member):
    response = client_for(member).get("/api/v1/exercises/no-such-thing")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "exercise_not_found")]


@pytest.mark.parametrize("path", ["/api/v1/themes", "/api/v1/exercises", "/api/v1/exercises/anything"])
def test_the_catalogue_needs_a_signed_in_person(anonymous, path):
    assert anonymous.get(path).status_code == 401


def test_a_theme_filter_with_a_nul_byte_is_a_clear_error(client_for, member):
    response = client_for(member).get("/api/v1/exercises", {"theme": "calm\x00"})
    assert response.status_code == 400
    assert {attr for attr, _ in error_codes(response)} == {"theme"}
