"""What a coach sees of one finished week: each team's row of cells and the organisation's,
made from the week's rollups by the rules of insights.anonymity, as JSON text.

A week is presented once, when it is rolled up (insights.services), and served as that text
afterwards; it is presented again only when what it was built for changes: the organisation's
k, the catalogue (themes, behaviours, check-in questions) or the teams rolled up that week.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from common.weeks import week_label
from insights.anonymity import WeekRows, cell, hidden, not_combinable, published_mean, published_sum, withheld
from insights.models import TeamWeek

SIDES = ("within", "across")
SCORES = ("1", "2", "3", "4", "5")
ORPHAN_COUNTS = ("posted", "claimed", "done")
NO_PAIRS = {"pairs": {"value": 0, "people": 0}, "paired_people": {"value": 0, "people": 0}}
NO_ANSWERS = {"answers": 0, "people": 0, "mean": None, "distribution": [0] * len(SCORES)}
# What a team made stay, per kind: the one count of each (rollups written before had none).
MADE = {"agreements": "adopted", "commitments": "kept"}
NOTHING_MADE = {"value": 0, "people": 0}
# Part of what every presented week was built for: raised whenever a row's shape changes, so
# that every week presented before is presented again.
ROW_SHAPE = 1


@dataclass(frozen=True)
class Layout:
    """The columns of every row: the catalogue's themes, the behaviours, the check-in questions."""

    themes: list[str]
    behaviours: list[str]
    questions: list[dict]

    @property
    def question_ids(self) -> list[str]:
        return [question["id"] for question in self.questions]


def as_json(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def built_for(*, k: int, layout: Layout, team_ids) -> str:
    """What a presented week depends on besides its rollups, which never change: the same
    value means the same text."""
    return hashlib.sha256(repr((ROW_SHAPE, k, layout, sorted(team_ids))).encode()).hexdigest()


def members(row: TeamWeek | None, *, k: int) -> int | None:
    """A team's size is shown only when the team is large enough to show anything."""
    return row.members if row is not None and row.members >= k else None


def health(row: TeamWeek | None, *, k: int, questions: list[str], reason: str | None) -> dict:
    """A team's week of health, per question. A question's figures (answers, people, mean and
    the count of each score) are published together or not at all: each cell carries the
    number of people who answered it, so a question fewer than k people answered is suppressed
    whole, and no part of a published distribution can be subtracted from a total."""
    stored = row.figures.get("health", {}) if reason is None else {}
    return {question: _health_question(stored.get(question), k=k, reason=reason) for question in questions}


def _health_question(figure: dict | None, *, k: int, reason: str | None) -> dict:
    if reason:
        nothing = hidden(reason)
        return {"answers": nothing, "people": nothing, "mean": nothing, "distribution": dict.fromkeys(SCORES, nothing)}
    figure = figure or NO_ANSWERS
    people = figure["people"]
    return {
        "answers": cell({"value": figure["answers"], "people": people}, k),
        "people": cell({"value": people, "people": people}, k),
        "mean": cell({"value": figure["mean"], "people": people}, k),
        "distribution": {
            score: cell({"value": count, "people": people}, k)
            for score, count in zip(SCORES, figure["distribution"], strict=True)
        },
    }


def _organisation_health(team_weeks: list[dict], *, questions: list[str]) -> dict:
    """The organisation's health: sums of what the teams published, means weighted by their
    published answers."""
    by_question = {question: [week["health"][question] for week in team_weeks] for question in questions}
    return {
        question: {
            "answers": published_sum([cells["answers"] for cells in teams]),
            "people": published_sum([cells["people"] for cells in teams]),
            "mean": published_mean([(cells["mean"], cells["answers"]) for cells in teams]),
            "distribution": {
                score: published_sum([cells["distribution"][score] for cells in teams]) for score in SCORES
            },
        }
        for question, teams in by_question.items()
    }


def _pairs(row: TeamWeek, *, k: int) -> dict:
    """Pairs practised within the team, and the share of its members in at least one; rollups
    written before pairs existed had none."""
    figures = row.figures.get("pairs", NO_PAIRS)
    share = cell(figures["paired_people"], k)
    if share["value"] is not None:
        share["value"] = round(share["value"] / row.members, 3)
    return {"distinct_pairs": cell(figures["pairs"], k), "share_of_team": share}


def team_week(monday: date, row: TeamWeek | None, *, k: int, layout: Layout, week: WeekRows) -> dict:
    """One team's row for one week, as coaches see it."""
    reason = withheld(row, k=k, week=week)
    head = {"week": week_label(monday), "members": members(row, k=k)}
    team_health = health(row, k=k, questions=layout.question_ids, reason=reason)
    if reason:
        nothing = hidden(reason)
        return {
            **head,
            "active": nothing,
            "participation_rate": nothing,
            "completions_by_theme": dict.fromkeys(layout.themes, nothing),
            "group_sessions": {"held": nothing, "average_attendance": nothing},
            "acknowledgements": {side: dict.fromkeys(layout.behaviours, nothing) for side in SIDES},
            "orphans": dict.fromkeys((*ORPHAN_COUNTS, "median_minutes_to_claim"), nothing),
            "mood": nothing,
            "mood_reporters": nothing,
            "pairs": {"distinct_pairs": nothing, "share_of_team": nothing},
            **{kind: {count: nothing} for kind, count in MADE.items()},
            "health": team_health,
        }
    figures = row.figures
    active = cell(figures["active"], k)
    rate = dict(active)
    if active["value"] is not None:
        rate["value"] = round(active["value"] / row.members, 3)
    return {
        **head,
        "active": active,
        "participation_rate": rate,
        "completions_by_theme": {theme: cell(figures["completions"].get(theme), k) for theme in layout.themes},
        "group_sessions": {name: cell(figures["sessions"][name], k) for name in ("held", "average_attendance")},
        "acknowledgements": {
            side: {b: cell(figures["acknowledgements"][side].get(b), k) for b in layout.behaviours} for side in SIDES
        },
        "orphans": {name: cell(figures["orphans"][name], k) for name in (*ORPHAN_COUNTS, "median_minutes_to_claim")},
        "mood": cell(figures["mood"], k),
        "mood_reporters": cell({"value": figures["mood"]["people"], "people": figures["mood"]["people"]}, k),
        "pairs": _pairs(row, k=k),
        **{kind: {count: cell(figures.get(kind, {}).get(count, NOTHING_MADE), k)} for kind, count in MADE.items()},
        "health": team_health,
    }


def organisation_week(monday: date, team_weeks: list[dict], *, layout: Layout) -> dict:
    """The organisation's row for one week, from the rows of the teams it covers: sums of what
    they published, nothing more."""
    counted = [week for week in team_weeks if week["members"]]
    people = sum(week["members"] for week in counted if week["active"]["value"] is not None)
    active = published_sum([week["active"] for week in counted])
    rate = (
        {"value": round(active["value"] / people, 3), "suppressed": None}
        if active["value"] is not None and people
        else hidden("nothing_published")
    )
    themes, behaviours = layout.themes, layout.behaviours
    return {
        "week": week_label(monday),
        "members": sum(week["members"] for week in counted) or None,
        "active": active,
        "participation_rate": rate,
        "completions_by_theme": {t: published_sum([w["completions_by_theme"][t] for w in counted]) for t in themes},
        "group_sessions": {
            "held": published_sum([w["group_sessions"]["held"] for w in counted]),
            "average_attendance": published_mean(
                [(w["group_sessions"]["average_attendance"], w["group_sessions"]["held"]) for w in counted]
            ),
        },
        "acknowledgements": {
            side: {b: published_sum([w["acknowledgements"][side][b] for w in counted]) for b in behaviours}
            for side in SIDES
        },
        "orphans": {
            **{name: published_sum([w["orphans"][name] for w in counted]) for name in ORPHAN_COUNTS},
            "median_minutes_to_claim": not_combinable(),
        },
        "mood": published_mean([(w["mood"], w["mood_reporters"]) for w in counted]),
        "mood_reporters": published_sum([w["mood_reporters"] for w in counted]),
        "pairs": {
            "distinct_pairs": published_sum([w["pairs"]["distinct_pairs"] for w in counted]),
            "share_of_team": published_mean([(w["pairs"]["share_of_team"], {"value": w["members"]}) for w in counted]),
        },
        **{kind: {count: published_sum([w[kind][count] for w in counted])} for kind, count in MADE.items()},
        "health": _organisation_health(counted, questions=layout.question_ids),
    }


@dataclass
class PresentedWeek:
    """One week of an organisation as JSON text: the teams rolled up that week, the rows of
    those asked for (all of them when presented), and the organisation's row over all of them."""

    monday: date
    k: int
    layout: Layout
    rolled_up: set[int]
    teams: dict[int, str]
    organisation: str

    def team(self, team_id: int) -> str:
        return self.teams[team_id] if team_id in self.rolled_up else self._not_rolled_up

    @cached_property
    def _not_rolled_up(self) -> str:
        """The row of a team with no rollup that week: the same for every such team."""
        return as_json(team_week(self.monday, None, k=self.k, layout=self.layout, week=WeekRows([])))

    def organisation_of(self, team_ids: set[int]) -> str:
        """The organisation's row over these teams only (a coach of some of its teams sees the
        sum of what they see): the row presented with the week when they are all its teams."""
        if team_ids >= self.rolled_up:
            return self.organisation
        rows = [json.loads(self.teams[team_id]) for team_id in sorted(team_ids & self.rolled_up)]
        return as_json(organisation_week(self.monday, rows, layout=self.layout))


def present_week(monday: date, rows: list[TeamWeek], *, k: int, layout: Layout) -> PresentedWeek:
    """Every team rolled up that week in one organisation (all of them: overlaps are judged
    organisation-wide), as coaches see them."""
    week = WeekRows(rows)
    team_weeks = {
        row.team_id: team_week(monday, row, k=k, layout=layout, week=week)
        for row in sorted(rows, key=lambda row: row.team_id)
    }
    return PresentedWeek(
        monday=monday,
        k=k,
        layout=layout,
        rolled_up=set(team_weeks),
        teams={team_id: as_json(cells) for team_id, cells in team_weeks.items()},
        organisation=as_json(organisation_week(monday, list(team_weeks.values()), layout=layout)),
    )
