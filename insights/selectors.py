"""What a coach may see: anonymised figures per team and week, and the organisation's; and what
a lead may see: their own team's health, the very cells a coach sees of it.

Every figure goes through insights.anonymity, which holds the rules that keep people
unidentifiable (one k, one way to suppress). A coach's table is put together from the rows each
week was presented as when it was rolled up (insights.presenters), not built again per request. No figure is ever about a named person, and no
free text is ever read.
"""

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.db.models import Case, Q, TextField, Value, When

from accounts.models import Organisation, User
from acknowledgements.models import Acknowledgement
from common.errors import NotAllowed, NotFound
from common.weeks import week_label
from exercises.models import Step, Theme
from insights.anonymity import WeekRows, threshold, weeks_between, withheld
from insights.models import OrganisationWeek, TeamWeek
from insights.presenters import Layout, PresentedWeek, as_json, built_for, health, members, present_week
from teams.models import CoachAssignment, Membership, Team


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


def insights_layout() -> Layout:
    """The columns of every coach's row, from the catalogue as it is now."""
    themes = list(Theme.objects.order_by("position", "slug").values_list("slug", flat=True))
    return Layout(themes=themes, behaviours=list(Acknowledgement.Behaviour.values), questions=check_in_questions())


class Table(Mapping):
    """A coach's insights table as the JSON text it is served as, put together from the weeks'
    presented rows without decoding them, with its weeks and organisation at hand (a page's
    heading); read as a mapping (the CSV), it is decoded once."""

    def __init__(self, *, text: str, weeks: list[str], organisation: dict):
        self.text = text
        self.weeks = weeks
        self.organisation = organisation

    @cached_property
    def data(self) -> dict:
        return json.loads(self.text)

    def __getitem__(self, key: str):
        return self.data[key]

    def __iter__(self):
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def insights_for_coach(
    *, user: User, organisation_id: int, first: str | None = None, last: str | None = None, team_id: int | None = None
) -> Table:
    """The coach's teams, each week as presented when it was rolled up, and the organisation's
    row over those teams: the same number of queries however many teams, weeks and runs."""
    scope = coach_scope(user=user, organisation_id=organisation_id)
    teams = scope.teams
    if team_id is not None:
        teams = [team for team in teams if team.pk == team_id]
        if not teams:
            raise NotAllowed("That team is not in your assignment.", code="team_not_assigned")
    mondays = weeks_between(first=first, last=last)
    k = threshold(scope.organisation)
    layout = insights_layout()
    labels = [week_label(monday) for monday in mondays]
    shown = {team.pk for team in teams}
    weeks = _presented_weeks(organisation_id=organisation_id, mondays=mondays, k=k, layout=layout, shown=shown)
    organisation = {"id": scope.organisation.pk, "name": scope.organisation.name, "k": k}
    pieces = _object(
        organisation=as_json(organisation),
        weeks=as_json(labels),
        themes=as_json(layout.themes),
        behaviours=as_json(layout.behaviours),
        questions=as_json(layout.questions),
        teams=_array(
            _object(id=as_json(team.pk), name=as_json(team.name), weeks=_array(week.team(team.pk) for week in weeks))
            for team in teams
        ),
        organisation_total=_object(
            scope=as_json("teams in your assignment"), weeks=_array(week.organisation_of(shown) for week in weeks)
        ),
    )
    return Table(text="".join(pieces), weeks=labels, organisation=organisation)


# The table is megabytes of JSON text: it is put together as a list of pieces and joined once,
# since joining at every level of nesting would copy all of it at every level.


def _object(**members: str | list[str]) -> list[str]:
    """A JSON object, as pieces, from members that are JSON text already (or pieces of it)."""
    pieces = []
    for name, value in members.items():
        pieces += [",", as_json(name), ":", *_pieces(value)]
    return ["{", *pieces[1:], "}"]


def _array(items) -> list[str]:
    """A JSON array, as pieces, from items that are JSON text already (or pieces of it)."""
    pieces = []
    for item in items:
        pieces += [",", *_pieces(item)]
    return ["[", *pieces[1:], "]"]


def _pieces(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _presented_weeks(
    *, organisation_id: int, mondays: list[date], k: int, layout: Layout, shown: set[int]
) -> list[PresentedWeek]:
    """Each week as presented when it was rolled up, with the rows of the teams shown. A week
    whose presentation is missing or was built for something else (another k, another
    catalogue, a team since deleted) is presented here from its rollups instead, until the
    worker presents it again (insights.services)."""
    # The organisation's rows first: a week presented again commits them with its teams' rows,
    # so teams' rows read after are never older than the organisation's row they are checked by.
    organisation_rows = {
        monday: (built, text)
        for monday, built, text in OrganisationWeek.objects.filter(
            organisation_id=organisation_id, week_start__in=mondays
        ).values_list("week_start", "built_for", "presented")
    }
    rows = TeamWeek.objects.filter(team__organisation_id=organisation_id, week_start__in=mondays)
    teams: dict[date, dict[int, str]] = {monday: {} for monday in mondays}
    # Every team rolled up that week tells whether its presentation is current; only the rows
    # shown are read (a coach of one team does not carry the whole organisation's).
    for monday, team_id, text in rows.values_list(
        "week_start",
        "team_id",
        Case(When(team_id__in=shown, then="presented"), default=Value(""), output_field=TextField()),
    ):
        teams[monday][team_id] = text
    stale = {
        monday
        for monday in mondays
        if teams[monday]
        and organisation_rows.get(monday, ("", ""))[0] != built_for(k=k, layout=layout, team_ids=teams[monday])
    }
    rollups: dict[date, list[TeamWeek]] = defaultdict(list)
    if stale:
        for row in rows.filter(week_start__in=stale):
            rollups[row.week_start].append(row)
    return [
        present_week(monday, rollups[monday], k=k, layout=layout)
        if monday in stale or not teams[monday]
        else PresentedWeek(
            monday=monday,
            k=k,
            layout=layout,
            rolled_up=set(teams[monday]),
            teams=teams[monday],
            organisation=organisation_rows[monday][1],
        )
        for monday in mondays
    ]


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
    by_week: dict[date, list[TeamWeek]] = defaultdict(list)
    for row in _rows_overlapping(team=team, mondays=mondays):
        by_week[row.week_start].append(row)
    questions = check_in_questions()
    weeks = []
    for monday in mondays:
        week = WeekRows(by_week[monday])
        row = week.by_team.get(team.pk)
        reason = withheld(row, k=k, week=week)
        weeks.append(
            {
                "week": week_label(monday),
                "members": members(row, k=k),
                "health": health(row, k=k, questions=[q["id"] for q in questions], reason=reason),
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
