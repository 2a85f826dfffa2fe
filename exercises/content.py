"""Reading and checking the content pack: the versioned exercise catalogue kept in the repo.

The pack is exercises/content/pack.toml (version and themes) plus one file of exercises per
theme under exercises/content/exercises/. This module only reads and checks; loading it into
the database is exercises.services.content_pack_load.

Texts are written in English; a table named by a language the app speaks (`fr`) beside them
gives their translation (`fr.title = "..."`), and what it leaves out is served in English.
"""

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from exercises.models import Exercise, Step

DEFAULT_PACK = Path(__file__).resolve().parent / "content"
QUESTION_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A follow-up comes after the meeting or conversation the exercise prepares: within a week.
FOLLOW_UP_MINUTES = range(1, 7 * 24 * 60 + 1)


class ContentPackError(ValueError):
    pass


@dataclass(frozen=True)
class StepContent:
    kind: str
    text: str
    seconds: int | None
    question: str = ""
    question_name: str = ""
    translations: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ExerciseContent:
    slug: str
    theme: str
    title: str
    mode: str
    duration_minutes: int
    summary: str
    reflection_prompts: tuple[str, ...]
    steps: tuple[StepContent, ...]
    audience: str = Exercise.Audience.EVERYONE
    needs: tuple[str, ...] = ()
    follow_up_minutes: int | None = None
    translations: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ThemeContent:
    slug: str
    name: str
    summary: str
    position: int
    translations: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ContentPack:
    version: int
    checksum: str
    themes: tuple[ThemeContent, ...]
    exercises: tuple[ExerciseContent, ...]


def read_pack(directory: Path = DEFAULT_PACK) -> ContentPack:
    files = [directory / "pack.toml", *sorted((directory / "exercises").glob("*.toml"))]
    digest = hashlib.sha256()
    documents = []
    for path in files:
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        try:
            documents.append((path, tomllib.loads(raw.decode())))
        except tomllib.TOMLDecodeError as error:
            raise ContentPackError(f"{path.name}: {error}") from None

    head = documents[0][1]
    version = head.get("version")
    if not isinstance(version, int) or version < 1:
        raise ContentPackError("pack.toml: version must be a positive whole number")
    themes = tuple(_theme(entry) for entry in head.get("theme", []))
    theme_slugs = {theme.slug for theme in themes}
    exercises = tuple(
        _exercise(entry, theme_slugs=theme_slugs, source=path.name)
        for path, document in documents[1:]
        for entry in document.get("exercise", [])
    )
    slugs = [exercise.slug for exercise in exercises]
    if len(slugs) != len(set(slugs)):
        raise ContentPackError("exercise slugs must be unique across the pack")
    _check_questions(exercises)
    return ContentPack(version=version, checksum=digest.hexdigest(), themes=themes, exercises=exercises)


def _translations(entry: dict, *, texts: tuple[str, ...], problems: list[str]) -> dict:
    """{"fr": {field: text}} from the language tables beside `entry`'s texts, each checked: only
    `texts` are translated, each into words of the same shape (a list as long as the English)."""
    found = {}
    for language in (code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE):
        table = entry.get(language, {})
        if not isinstance(table, dict) or not set(table) <= set(texts):
            problems.append(f"a {language!r} table translates only {', '.join(texts)}")
            continue
        for name, text in table.items():
            english = entry.get(name)
            if isinstance(english, list):
                shaped = isinstance(text, list) and len(text) == len(english) and all(text)
            else:
                shaped = isinstance(text, str) and bool(text.strip())
            if not shaped:
                problems.append(f"{language}.{name} must translate {name} in the same shape")
        if table:
            found[language] = dict(table)
    return found


def _theme(entry: dict) -> ThemeContent:
    problems = []
    translations = _translations(entry, texts=("name", "summary"), problems=problems)
    try:
        if problems:
            raise ValueError("; ".join(problems))
        return ThemeContent(
            slug=entry["slug"],
            name=entry["name"],
            summary=entry["summary"],
            position=int(entry["position"]),
            translations=translations,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ContentPackError(f"pack.toml: theme {entry.get('slug', '?')}: {error!r}") from None


def _exercise(entry: dict, *, theme_slugs: set[str], source: str) -> ExerciseContent:
    where = f"{source}: {entry.get('slug', '?')}"
    problems = []
    if entry.get("theme") not in theme_slugs:
        problems.append(f"unknown theme {entry.get('theme')!r}")
    if entry.get("mode") not in Exercise.Mode.values:
        problems.append(f"mode must be one of {Exercise.Mode.values}")
    duration = entry.get("duration_minutes")
    if not isinstance(duration, int) or not 2 <= duration <= 10:
        problems.append("duration_minutes must be 2 to 10")
    prompts = entry.get("reflection_prompts", [])
    if not 1 <= len(prompts) <= 2:
        problems.append("one or two reflection_prompts")
    audience = entry.get("audience", Exercise.Audience.EVERYONE)
    if audience not in Exercise.Audience.values:
        problems.append(f"audience must be one of {Exercise.Audience.values}")
    needs = entry.get("needs", [])
    if not isinstance(needs, list) or not set(needs) <= set(Exercise.Need.values) or len(set(needs)) != len(needs):
        problems.append(f"needs is a list of distinct values among {Exercise.Need.values}")
    elif entry.get("mode") == Exercise.Mode.PAIR and Exercise.Need.PARTNER not in needs:
        problems.append("a pair exercise needs a partner")
    follow_up = entry.get("follow_up_minutes")
    if follow_up is not None and (not isinstance(follow_up, int) or follow_up not in FOLLOW_UP_MINUTES):
        problems.append("follow_up_minutes is a whole number of minutes, at most a week")
    translations = _translations(entry, texts=("title", "summary", "reflection_prompts"), problems=problems)
    steps = tuple(_step(step, problems) for step in entry.get("steps", []))
    if not steps or steps[-1].kind != Step.Kind.REFLECT:
        problems.append("needs steps, the last one 'reflect'")
    if isinstance(duration, int) and sum(step.seconds or 0 for step in steps) > duration * 60:
        problems.append("timers run longer than the exercise")
    if problems:
        raise ContentPackError(f"{where}: " + "; ".join(problems))
    try:
        return ExerciseContent(
            slug=entry["slug"],
            theme=entry["theme"],
            title=entry["title"],
            mode=entry["mode"],
            duration_minutes=duration,
            summary=entry["summary"],
            reflection_prompts=tuple(prompts),
            steps=steps,
            audience=audience,
            needs=tuple(needs),
            follow_up_minutes=follow_up,
            translations=translations,
        )
    except KeyError as error:
        raise ContentPackError(f"{where}: missing {error}") from None


def _step(entry: dict, problems: list[str]) -> StepContent:
    kind, seconds = entry.get("kind"), entry.get("seconds")
    if kind not in Step.Kind.values:
        problems.append(f"step kind {kind!r} is not one of {Step.Kind.values}")
    if (kind == Step.Kind.TIMER) != (seconds is not None):
        problems.append("timer steps, and only they, have seconds")
    if not entry.get("text"):
        problems.append("every step has text")
    question, name = entry.get("question", ""), entry.get("question_name", "")
    if kind == Step.Kind.CHECKIN:
        if not isinstance(question, str) or not QUESTION_SLUG.match(question) or len(question) > 60:
            problems.append("a check-in's question is a slug (lowercase words joined by hyphens)")
        if not isinstance(name, str) or not 1 <= len(name) <= 80:
            problems.append("a check-in's question_name is 1 to 80 characters")
    elif question or name:
        problems.append("only check-in steps have a question")
    return StepContent(
        kind=kind,
        text=entry.get("text", ""),
        seconds=seconds,
        question=question,
        question_name=name,
        translations=_translations(entry, texts=("text",), problems=problems),
    )


def _check_questions(exercises: tuple[ExerciseContent, ...]) -> None:
    """One question, one meaning: a slug has a single name across the pack and a name a single
    slug, so answers rolled up under a slug (team health) are answers to one question."""
    names: dict[str, set[str]] = {}
    slugs: dict[str, set[str]] = {}
    for step in (step for exercise in exercises for step in exercise.steps if step.question):
        names.setdefault(step.question, set()).add(step.question_name)
        slugs.setdefault(step.question_name.casefold(), set()).add(step.question)
    for question, found in names.items():
        if len(found) > 1:
            raise ContentPackError(f"question {question!r} has more than one name: {sorted(found)}")
    for name, found in slugs.items():
        if len(found) > 1:
            raise ContentPackError(f"question name {name!r} is used by several questions: {sorted(found)}")
