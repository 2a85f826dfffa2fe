"""The rules that keep people unidentifiable in every figure read from the weekly rollups: coach
insights, team health (coaches and leads alike) and pairs all go through these functions, so
there is one organisation k and one set of suppression rules.

- k is the organisation's anonymity threshold, never below 3 (`threshold`);
- a cell built from fewer than k distinct people is suppressed, shown as null with a reason,
  never as zero (`cell`); a team with fewer than k members shows nothing at all, and of two
  teams whose members differ by fewer than k people only one is shown (`withheld`);
- cells come only from fixed slices: one team, one finished ISO week (`weeks_between`). There
  are no totals over a team's cells (nothing to subtract a suppressed cell from) and no range
  totals;
- an organisation row is the sum of the published team cells only, and a mean weighted by
  their published counts (`published_sum`, `published_mean`), never a median
  (`not_combinable`), so it says nothing the team cells don't;
- weeks are rolled up once, when over, and never recomputed (insights.services), so joins and
  leaves cannot be differenced, and the running week is never shown.
No figure is ever about a named person, and no free text is ever read.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from math import fsum

from django.utils import timezone

from accounts.models import Organisation
from common.errors import Invalid
from common.weeks import finished_weeks, parse_week
from insights.models import TeamWeek

MINIMUM_K = 3
MAX_WEEKS = 52
DEFAULT_WEEKS = 12

# Why a cell is null: the only values `suppressed` takes (the API documents them as an enum).
SUPPRESSION_REASONS = (
    "fewer_than_k",
    "team_too_small",
    "not_rolled_up",
    "overlaps_another_team",
    "nothing_published",
    "not_combinable",
)


def threshold(organisation: Organisation) -> int:
    """The organisation's k: the fewest distinct people any published figure may come from."""
    return max(organisation.anonymity_threshold, MINIMUM_K)


def weeks_between(*, first: str | None, last: str | None) -> list[date]:
    """The finished weeks asked for (by default the last 12), oldest first."""
    finished = finished_weeks(now=timezone.now(), count=MAX_WEEKS * 4)
    end = parse_week(last, "to") if last else finished[-1]
    start = parse_week(first, "from") if first else end - timedelta(weeks=DEFAULT_WEEKS - 1)
    if start > end:
        raise Invalid("`from` is after `to`.", code="invalid_range", field="from")
    if (end - start).days // 7 + 1 > MAX_WEEKS:
        raise Invalid(f"At most {MAX_WEEKS} weeks at a time.", code="range_too_long", field="from")
    return [monday for monday in finished if start <= monday <= end]


def hidden(reason: str) -> dict:
    return {"value": None, "suppressed": reason}


def cell(figure: dict | None, k: int) -> dict:
    """A rolled-up figure ({"value", "people"}) as published: its value, or suppressed."""
    # Zero people is "fewer than k" too: saying nobody did something is saying it of everyone.
    if figure is None or figure["value"] is None or figure["people"] < k:
        return hidden("fewer_than_k")
    return {"value": figure["value"], "suppressed": None}


class WeekRows:
    """The rollups of one week that suppression may depend on (every team of an organisation, or
    a team and those sharing people with it), by team, with the overlaps they recorded indexed
    both ways once: judging every team against every other would grow with the square of the
    teams."""

    def __init__(self, rows: Iterable[TeamWeek]):
        self.by_team = {row.team_id: row for row in rows}
        recorded = [
            (row.team_id, int(other), difference)
            for row in self.by_team.values()
            for other, difference in row.figures.get("overlaps", {}).items()
        ]
        self.differences: dict[int, dict[int, int]] = defaultdict(dict)
        for team_id, other, difference in recorded:
            self.differences[team_id][other] = difference
        # Either row may be the one that recorded the overlap; what a row recorded itself comes first.
        for team_id, other, difference in recorded:
            self.differences[other].setdefault(team_id, difference)


def withheld(row: TeamWeek | None, *, k: int, week: WeekRows) -> str | None:
    """Why none of a team's figures for a week may be shown, or None when its cells may be
    (each still judged by `cell`)."""
    if row is None:
        return "not_rolled_up"
    if row.members < k:
        return "team_too_small"
    if _too_close(row, week, k):
        return "overlaps_another_team"
    return None


def _too_close(row: TeamWeek, week: WeekRows, k: int) -> bool:
    """True if another team that week differs from this one by fewer than k people and is the
    one that stays published: of two such teams only one may be shown, or subtracting one from
    the other would isolate those few people. The one rolled up first stays (it may have been
    seen already; a team made later and rolled up for past weeks must not undo that); in the
    same run, the larger, then the older team."""
    for other_id, difference in week.differences.get(row.team_id, {}).items():
        other = week.by_team.get(other_id)
        if other is None or other.members < k or difference >= k:
            continue
        if _stays(other) > _stays(row):
            return True
    return False


def _stays(row: TeamWeek) -> tuple:
    return (-row.computed_at.timestamp(), row.members, -row.team_id)


def not_combinable() -> dict:
    """A team figure no sum or mean of the published cells gives (a median): the organisation
    row never shows it."""
    return hidden("not_combinable")


def published_sum(cells: list[dict]) -> dict:
    published = [one["value"] for one in cells if one["value"] is not None]
    return {"value": sum(published), "suppressed": None} if published else hidden("nothing_published")


def published_mean(pairs: list[tuple[dict, dict]]) -> dict:
    """A mean over published cells, weighted by their published counts."""
    published = [
        (one["value"], weight["value"]) for one, weight in pairs if one["value"] is not None and weight["value"]
    ]
    if not published:
        return hidden("nothing_published")
    # fsum: the same mean whatever order the teams come in (a coach of some teams, or all).
    total = fsum(weight for _, weight in published)
    return {"value": round(fsum(value * weight for value, weight in published) / total, 2), "suppressed": None}
