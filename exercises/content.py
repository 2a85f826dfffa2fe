"""Reading and checking the content pack: the versioned exercise catalogue kept in the repo.

The pack is exercises/content/pack.toml (version and themes) plus one file of exercises per
theme under exercises/content/exercises/. This module only reads and checks; loading it into
the database is exercises.services.content_pack_load.
"""

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from exercises.models import Exercise, Step

DEFAULT_PACK = Path(__file__).resolve().parent / "content"
QUESTION_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ContentPackError(ValueError):
    pass


@dataclass(frozen=True)
class StepContent:
    kind: str
    text: str
    seconds: int | None
    question: str = ""
    question_name: str = ""


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


@dataclass(frozen=True)
class ThemeContent:
    slug: str
    name: str
    summary: str
    position: int


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


def _theme(entry: dict) -> ThemeContent:
    try:
        return ThemeContent(
            slug=entry["slug"], name=entry["name"], summary=entry["summary"], position=int(entry["position"])
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
    return StepContent(kind=kind, text=entry.get("text", ""), seconds=seconds, question=question, question_name=name)


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
