"""What a coach may see: anonymised figures per team and week, and the organisation's; and what
a lead may see: their own team's health, the very cells a coach sees of it.

Every figure goes through insights.anonymity, which holds the rules that keep people
unidentifiable (one k, one way to suppress). No figure is ever about a named person, and no
free text is ever read.
"""

import hashlib
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db.models import Count, Max, Q

from accounts.models import Organisation, User
from acknowledgements.models import Acknowledgement
from common.errors import NotAllowed, NotFound
from common.weeks import week_label
from exercises.models import Step, Theme
from insights.anonymity import cell, hidden, published_mean, published_sum, threshold, weeks_between, withheld
from insights.models import TeamWeek
from teams.models import CoachAssignment, Membership, Team

SIDES = ("within", "across")
SCORES = ("1", "2", "3", "4", "5")
NO_PAIRS = {"pairs": {"value": 0, "people": 0}, "paired_people": {"value": 0, "people": 0}}
NO_ANSWERS = {"answers": 0, "people": 0, "mean": None, "distribution": [0] * len(SCORES)}


@dataclass(frozen=True)
class CoachScope:
    organisation: Organisation
    teams: list[Team]


def coach_scope(*, user: User, organisation_id: int) -> CoachScope:
    """The teams of this organisation the coach is assigned to, or NotAllowed."""
    assignments = list(
        CoachAssignment.objects.filter(coach=user, organisation_id=organisation_id).select_related("organisation")
    )
    if not assignments:
        raise NotAllowed("You are not a coach of this organisation.", code="not_a_coach")
    teams = Team.objects.filter(organisation_id=organisation_id).order_by("name", "pk")
    if all(assignment.team_id for assignment in assignments):
        teams = teams.filter(pk__in=[assignment.team_id for assignment in assignments])
    return CoachScope(organisation=assignments[0].organisation, teams=list(teams))


def coached_organisations(*, user: User) -> list[Organisation]:
    return list(Organisation.objects.filter(coach_assignments__coach=user).distinct().order_by("name"))


def coach_scopes(*, user: User) -> list[CoachScope]:
    """Every organisation this person coaches, each with the teams of their assignment (the
    same scope the insights use); nothing for anyone who coaches nowhere."""
    return [
        coach_scope(user=user, organisation_id=organisation.pk) for organisation in coached_organisations(user=user)
    ]


def check_in_questions() -> list[dict]:
    """Every check-in question of the catalogue, once, however many exercises ask it."""
    rows = (
        Step.objects.filter(kind=Step.Kind.CHECKIN)
        .exclude(question="")
        .order_by("question", "question_name")
        .values_list("question", "question_name")
        .distinct()
    )
    return [{"id": question, "name": name} for question, name in dict(rows).items()]


def _health(row: TeamWeek | None, *, k: int, questions: list[str], reason: str | None) -> dict:
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


def _members(row: TeamWeek | None, *, k: int) -> int | None:
    """A team's size is shown only when the team is large enough to show anything."""
    return row.members if row is not None and row.members >= k else None


def _team_week(
    row: TeamWeek | None,
    *,
    k: int,
    themes: list[str],
    behaviours: list[str],
    questions: list[str],
    week_rows: dict[int, TeamWeek],
) -> dict:
    reason = withheld(row, k=k, week_rows=week_rows)
    health = _health(row, k=k, questions=questions, reason=reason)
    if reason:
        nothing = hidden(reason)
        return {
            "members": _members(row, k=k),
            "active": nothing,
            "participation_rate": nothing,
            "completions_by_theme": dict.fromkeys(themes, nothing),
            "group_sessions": {"held": nothing, "average_attendance": nothing},
            "acknowledgements": {side: dict.fromkeys(behaviours, nothing) for side in SIDES},
            "orphans": dict.fromkeys(("posted", "claimed", "done", "median_minutes_to_claim"), nothing),
            "mood": nothing,
            "mood_reporters": nothing,
            "pairs": {"distinct_pairs": nothing, "share_of_team": nothing},
            "health": health,
        }
    figures = row.figures
    active = cell(figures["active"], k)
    rate = dict(active)
    if active["value"] is not None:
        rate["value"] = round(active["value"] / row.members, 3)
    return {
        "members": row.members,
        "active": active,
        "participation_rate": rate,
        "completions_by_theme": {theme: cell(figures["completions"].get(theme), k) for theme in themes},
        "group_sessions": {name: cell(figures["sessions"][name], k) for name in ("held", "average_attendance")},
        "acknowledgements": {
            side: {b: cell(figures["acknowledgements"][side].get(b), k) for b in behaviours} for side in SIDES
        },
        "orphans": {
            name: cell(figures["orphans"][name], k) for name in ("posted", "claimed", "done", "median_minutes_to_claim")
        },
        "mood": cell(figures["mood"], k),
        "mood_reporters": cell({"value": figures["mood"]["people"], "people": figures["mood"]["people"]}, k),
        "pairs": _pairs(row, k=k),
        "health": health,
    }


def _organisation_week(team_weeks: list[dict], *, themes, behaviours, questions) -> dict:
    """The organisation's week: sums of what the teams published, nothing more."""
    counted = [week for week in team_weeks if week["members"]]
    members = sum(week["members"] for week in counted if week["active"]["value"] is not None)
    active = published_sum([week["active"] for week in counted])
    rate = (
        {"value": round(active["value"] / members, 3), "suppressed": None}
        if active["value"] is not None and members
        else hidden("nothing_published")
    )
    return {
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
            **{name: published_sum([w["orphans"][name] for w in counted]) for name in ("posted", "claimed", "done")},
            "median_minutes_to_claim": hidden("not_combinable"),
        },
        "mood": published_mean([(w["mood"], w["mood_reporters"]) for w in counted]),
        "mood_reporters": published_sum([w["mood_reporters"] for w in counted]),
        "pairs": {
            "distinct_pairs": published_sum([w["pairs"]["distinct_pairs"] for w in counted]),
            "share_of_team": published_mean([(w["pairs"]["share_of_team"], {"value": w["members"]}) for w in counted]),
        },
        "health": _organisation_health(counted, questions=questions),
    }


def insights_for_coach(
    *, user: User, organisation_id: int, first: str | None = None, last: str | None = None, team_id: int | None = None
) -> dict:
    scope = coach_scope(user=user, organisation_id=organisation_id)
    teams = scope.teams
    if team_id is not None:
        teams = [team for team in teams if team.pk == team_id]
        if not teams:
            raise NotAllowed("That team is not in your assignment.", code="team_not_assigned")
    mondays = weeks_between(first=first, last=last)
    k = threshold(scope.organisation)
    rollups = TeamWeek.objects.filter(team__organisation_id=organisation_id, week_start__in=mondays)
    # Rollups never change once written, so the table is cached until a new one appears.
    stamp = rollups.aggregate(latest=Max("computed_at"), count=Count("pk"))
    key = (
        "insights:"
        + hashlib.sha256(
            repr((organisation_id, [(t.pk, t.name) for t in teams], mondays, k, stamp)).encode()
        ).hexdigest()
    )
    tables = cache.get(key)
    if tables is None:
        tables = _tables(teams=teams, mondays=mondays, k=k, rollups=rollups)
        cache.set(key, tables, timeout=60 * 60)
    return {
        "organisation": {"id": scope.organisation.pk, "name": scope.organisation.name, "k": k},
        "weeks": [week_label(monday) for monday in mondays],
        **tables,
    }


def _tables(*, teams: list[Team], mondays: list[date], k: int, rollups) -> dict:
    themes = list(Theme.objects.order_by("position", "slug").values_list("slug", flat=True))
    behaviours = list(Acknowledgement.Behaviour.values)
    questions = check_in_questions()
    question_ids = [question["id"] for question in questions]
    # Every team of the organisation, not only the coach's: overlaps are judged organisation-wide.
    by_week: dict[date, dict[int, TeamWeek]] = {monday: {} for monday in mondays}
    for row in rollups:
        by_week[row.week_start][row.team_id] = row
    team_tables = []
    for team in teams:
        weeks = [
            {
                "week": week_label(monday),
                **_team_week(
                    by_week[monday].get(team.pk),
                    k=k,
                    themes=themes,
                    behaviours=behaviours,
                    questions=question_ids,
                    week_rows=by_week[monday],
                ),
            }
            for monday in mondays
        ]
        team_tables.append({"id": team.pk, "name": team.name, "weeks": weeks})
    organisation_weeks = [
        {
            "week": week_label(monday),
            **_organisation_week(
                [t["weeks"][i] for t in team_tables], themes=themes, behaviours=behaviours, questions=question_ids
            ),
        }
        for i, monday in enumerate(mondays)
    ]
    return {
        "themes": themes,
        "behaviours": behaviours,
        "questions": questions,
        "teams": team_tables,
        "organisation_total": {"scope": "teams in your assignment", "weeks": organisation_weeks},
    }


def team_health_for_lead(*, user: User, team_id: int, first: str | None = None, last: str | None = None) -> dict:
    """A lead's own team's health: per finished week and question, the very cells a coach sees
    of the team (the same rules, the same k), so a lead learns nothing a coach could not.
    Anyone but the team's lead is refused."""
    membership = Membership.objects.filter(user=user, team_id=team_id).select_related("team__organisation").first()
    if membership is None:
        raise NotFound("No such team among yours.", code="team_not_found")
    if membership.role != Membership.Role.LEAD:
        raise NotAllowed("Only the team's lead sees its health.", code="not_team_lead")
    team = membership.team
    mondays = weeks_between(first=first, last=last)
    k = threshold(team.organisation)
    by_week: dict[date, dict[int, TeamWeek]] = {monday: {} for monday in mondays}
    for row in _rows_overlapping(team=team, mondays=mondays):
        by_week[row.week_start][row.team_id] = row
    questions = check_in_questions()
    weeks = []
    for monday in mondays:
        row = by_week[monday].get(team.pk)
        reason = withheld(row, k=k, week_rows=by_week[monday])
        weeks.append(
            {
                "week": week_label(monday),
                "members": _members(row, k=k),
                "health": _health(row, k=k, questions=[q["id"] for q in questions], reason=reason),
            }
        )
    return {"team": {"id": team.pk, "name": team.name}, "k": k, "questions": questions, "weeks": weeks}


def _rows_overlapping(*, team: Team, mondays: list[date]) -> list[TeamWeek]:
    """The team's weeks and those of every team sharing people with it that week, which is all
    `withheld` needs to judge overlaps (either row may be the one that recorded one): at most
    two queries, however many teams the organisation has."""
    weeks = TeamWeek.objects.filter(week_start__in=mondays)
    rows = list(
        weeks.filter(
            Q(team=team) | Q(team__organisation_id=team.organisation_id, figures__overlaps__has_key=str(team.pk))
        )
    )
    named = {int(other) for row in rows if row.team_id == team.pk for other in row.figures.get("overlaps", {})}
    if not named:
        return rows
    seen = {row.pk for row in rows}
    others = weeks.filter(team__organisation_id=team.organisation_id, team_id__in=named).exclude(pk__in=seen)
    return rows + list(others)
