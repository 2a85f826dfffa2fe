"""What a coach may see: anonymised figures per team and week, and the organisation's.

The rules that keep people unidentifiable, all enforced here, on read:
- a cell built from fewer than k distinct people (k: the organisation's anonymity threshold,
  never below 3) is suppressed, shown as null with a reason, never as zero; a team with fewer
  than k members shows nothing at all;
- cells come only from fixed slices: one team, one finished ISO week. There are no totals over
  a team's cells (nothing to subtract a suppressed cell from) and no range totals;
- the organisation row is the sum of the published team cells only (and a mean weighted by
  their published people counts), so it says nothing the team cells don't;
- weeks are rolled up once, when over, and never recomputed, so joins and leaves cannot be
  differenced, and the running week is never shown.
No figure is ever about a named person, and no free text is ever read.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone

from accounts.models import Organisation, User
from acknowledgements.models import Acknowledgement
from common.errors import Invalid, NotAllowed
from common.weeks import finished_weeks, parse_week, week_label
from exercises.models import Theme
from insights.models import TeamWeek
from teams.models import CoachAssignment, Team

MAX_WEEKS = 52
DEFAULT_WEEKS = 12
SIDES = ("within", "across")


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


def _weeks_between(*, first: str | None, last: str | None) -> list[date]:
    """The finished weeks asked for (by default the last 12), oldest first."""
    finished = finished_weeks(now=timezone.now(), count=MAX_WEEKS * 4)
    end = parse_week(last, "to") if last else finished[-1]
    start = parse_week(first, "from") if first else end - timedelta(weeks=DEFAULT_WEEKS - 1)
    if start > end:
        raise Invalid("`from` is after `to`.", code="invalid_range", field="from")
    if (end - start).days // 7 + 1 > MAX_WEEKS:
        raise Invalid(f"At most {MAX_WEEKS} weeks at a time.", code="range_too_long", field="from")
    return [monday for monday in finished if start <= monday <= end]


def _cell(figure: dict | None, k: int) -> dict:
    # Zero people is "fewer than k" too: saying nobody did something is saying it of everyone.
    if figure is None or figure["value"] is None or figure["people"] < k:
        return _hidden("fewer_than_k")
    return {"value": figure["value"], "suppressed": None}


# Why a cell is null: the only values `suppressed` takes (the API documents them as an enum).
SUPPRESSION_REASONS = (
    "fewer_than_k",
    "team_too_small",
    "not_rolled_up",
    "overlaps_another_team",
    "nothing_published",
    "not_combinable",
)


def _hidden(reason: str) -> dict:
    return {"value": None, "suppressed": reason}


def _too_close(row: TeamWeek, week_rows: dict[int, TeamWeek], k: int) -> bool:
    """True if another team that week differs from this one by fewer than k people and is the
    one that stays published: of two such teams only one may be shown, or subtracting one from
    the other would isolate those few people. The one rolled up first stays (it may have been
    seen already; a team made later and rolled up for past weeks must not undo that); in the
    same run, the larger, then the older team."""
    differences = {int(other_id): difference for other_id, difference in row.figures.get("overlaps", {}).items()}
    for other in week_rows.values():  # both ways: either row may be the one that recorded the overlap
        if str(row.team_id) in other.figures.get("overlaps", {}):
            differences.setdefault(other.team_id, other.figures["overlaps"][str(row.team_id)])
    for other_id, difference in differences.items():
        other = week_rows.get(other_id)
        if other is None or other.members < k or difference >= k:
            continue
        if _stays(other) > _stays(row):
            return True
    return False


def _stays(row: TeamWeek) -> tuple:
    return (-row.computed_at.timestamp(), row.members, -row.team_id)


def _team_week(
    row: TeamWeek | None, *, k: int, themes: list[str], behaviours: list[str], week_rows: dict[int, TeamWeek]
) -> dict:
    if row is None:
        reason = "not_rolled_up"
    elif row.members < k:
        reason = "team_too_small"
    elif _too_close(row, week_rows, k):
        reason = "overlaps_another_team"
    else:
        reason = None
    if reason:
        nothing = _hidden(reason)
        return {
            "members": row.members if row is not None and row.members >= k else None,
            "active": nothing,
            "participation_rate": nothing,
            "completions_by_theme": dict.fromkeys(themes, nothing),
            "group_sessions": {"held": nothing, "average_attendance": nothing},
            "acknowledgements": {side: dict.fromkeys(behaviours, nothing) for side in SIDES},
            "orphans": dict.fromkeys(("posted", "claimed", "done", "median_minutes_to_claim"), nothing),
            "mood": nothing,
            "mood_reporters": nothing,
        }
    figures = row.figures
    active = _cell(figures["active"], k)
    rate = dict(active)
    if active["value"] is not None:
        rate["value"] = round(active["value"] / row.members, 3)
    return {
        "members": row.members,
        "active": active,
        "participation_rate": rate,
        "completions_by_theme": {theme: _cell(figures["completions"].get(theme), k) for theme in themes},
        "group_sessions": {name: _cell(figures["sessions"][name], k) for name in ("held", "average_attendance")},
        "acknowledgements": {
            side: {b: _cell(figures["acknowledgements"][side].get(b), k) for b in behaviours} for side in SIDES
        },
        "orphans": {
            name: _cell(figures["orphans"][name], k)
            for name in ("posted", "claimed", "done", "median_minutes_to_claim")
        },
        "mood": _cell(figures["mood"], k),
        "mood_reporters": _cell({"value": figures["mood"]["people"], "people": figures["mood"]["people"]}, k),
    }


def _sum(cells: list[dict]) -> dict:
    published = [cell["value"] for cell in cells if cell["value"] is not None]
    return {"value": sum(published), "suppressed": None} if published else _hidden("nothing_published")


def _weighted(pairs: list[tuple[dict, dict]]) -> dict:
    """A mean over published cells, weighted by their published counts."""
    published = [
        (cell["value"], weight["value"]) for cell, weight in pairs if cell["value"] is not None and weight["value"]
    ]
    if not published:
        return _hidden("nothing_published")
    total = sum(weight for _, weight in published)
    return {"value": round(sum(value * weight for value, weight in published) / total, 2), "suppressed": None}


def _organisation_week(team_weeks: list[dict], *, themes, behaviours) -> dict:
    """The organisation's week: sums of what the teams published, nothing more."""
    counted = [week for week in team_weeks if week["members"]]
    members = sum(week["members"] for week in counted if week["active"]["value"] is not None)
    active = _sum([week["active"] for week in counted])
    rate = (
        {"value": round(active["value"] / members, 3), "suppressed": None}
        if active["value"] is not None and members
        else _hidden("nothing_published")
    )
    return {
        "members": sum(week["members"] for week in counted) or None,
        "active": active,
        "participation_rate": rate,
        "completions_by_theme": {t: _sum([w["completions_by_theme"][t] for w in counted]) for t in themes},
        "group_sessions": {
            "held": _sum([w["group_sessions"]["held"] for w in counted]),
            "average_attendance": _weighted(
                [(w["group_sessions"]["average_attendance"], w["group_sessions"]["held"]) for w in counted]
            ),
        },
        "acknowledgements": {
            side: {b: _sum([w["acknowledgements"][side][b] for w in counted]) for b in behaviours} for side in SIDES
        },
        "orphans": {
            **{name: _sum([w["orphans"][name] for w in counted]) for name in ("posted", "claimed", "done")},
            "median_minutes_to_claim": _hidden("not_combinable"),
        },
        "mood": _weighted([(w["mood"], w["mood_reporters"]) for w in counted]),
        "mood_reporters": _sum([w["mood_reporters"] for w in counted]),
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
    mondays = _weeks_between(first=first, last=last)
    k = scope.organisation.anonymity_threshold
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
                    by_week[monday].get(team.pk), k=k, themes=themes, behaviours=behaviours, week_rows=by_week[monday]
                ),
            }
            for monday in mondays
        ]
        team_tables.append({"id": team.pk, "name": team.name, "weeks": weeks})
    organisation_weeks = [
        {
            "week": week_label(monday),
            **_organisation_week([t["weeks"][i] for t in team_tables], themes=themes, behaviours=behaviours),
        }
        for i, monday in enumerate(mondays)
    ]
    return {
        "themes": themes,
        "behaviours": behaviours,
        "teams": team_tables,
        "organisation_total": {"scope": "teams in your assignment", "weeks": organisation_weeks},
    }
