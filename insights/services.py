"""Writes for insights: rolling up finished weeks (background work), and coaches' looks at them,
each recorded in the audit log.

Queries are set-based over everyone at once (grouped by person), then folded into each team
through its membership. Each figure keeps the number of distinct people behind it, so reads
can suppress anything built from fewer than the organisation's threshold.
"""

import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Avg, Count, F
from django.utils import timezone

from accounts.models import Organisation, User
from acknowledgements.models import Acknowledgement
from agreements.models import Version
from commitments.models import Commitment
from common.weeks import finished_weeks
from exercises.models import Run, Step
from group_sessions.models import Connection, GroupSession, Share
from insights.anonymity import threshold
from insights.models import InsightView, OrganisationWeek, TeamWeek
from insights.presenters import built_for, present_week
from insights.selectors import Table, insights_for_coach, insights_layout
from orphans.models import Activity, Orphan
from pairs.selectors import pairs_completed_between
from reflections.models import Reflection
from teams.models import Membership, Team


def _figure(value, people: int) -> dict:
    return {"value": value, "people": people}


def _week_figures(*, members: set[int], team_id: int, facts: dict) -> dict:
    """One team's figures, from the week's facts about everyone."""
    completions = defaultdict(lambda: [0, set()])
    for (user_id, theme), count in facts["completions"].items():
        if user_id in members:
            completions[theme][0] += count
            completions[theme][1].add(user_id)
    acknowledgements = {"within": defaultdict(lambda: [0, set()]), "across": defaultdict(lambda: [0, set()])}
    for sender, recipient, behaviour in facts["acknowledgements"]:
        if sender in members:
            cell = acknowledgements["within" if recipient in members else "across"][behaviour]
            cell[0] += 1
            cell[1].add(sender)
    moods = [mood for user_id, mood in facts["moods"].items() if user_id in members]
    sessions = facts["sessions"].get(team_id, {})
    attendees = set().union(*sessions.values()) if sessions else set()
    orphans = facts["orphans"].get(team_id, {"posted": [], "claimed": [], "done": [], "waits": []})
    active = members & facts["active"]
    return {
        "active": _figure(len(active), len(active)),
        "completions": {theme: _figure(n, len(people)) for theme, (n, people) in completions.items()},
        "sessions": {
            "held": _figure(len(sessions), len(attendees)),
            "average_attendance": _figure(
                round(statistics.mean(len(p) for p in sessions.values()), 2) if sessions else None, len(attendees)
            ),
        },
        "acknowledgements": {
            side: {behaviour: _figure(n, len(people)) for behaviour, (n, people) in cells.items()}
            for side, cells in acknowledgements.items()
        },
        "orphans": {
            "posted": _figure(len(orphans["posted"]), len(set(orphans["posted"]))),
            "claimed": _figure(len(orphans["claimed"]), len(set(orphans["claimed"]))),
            "done": _figure(len(orphans["done"]), len(set(orphans["done"]))),
            "median_minutes_to_claim": _figure(
                round(statistics.median(w for _, w in orphans["waits"]), 1) if orphans["waits"] else None,
                len({who for who, _ in orphans["waits"]}),
            ),
        },
        "mood": _figure(round(statistics.mean(moods), 2) if moods else None, len(moods)),
        "health": _health_figures(members=members, answers=facts["checkins"].get(team_id, [])),
        "pairs": _pair_figures(members=members, pairs=facts["pairs"]),
        **_made_figures(adoptions=facts["adoptions"].get(team_id, []), kept=facts["kept"].get(team_id, [])),
    }


def _made_figures(*, adoptions: list[set[int]], kept: list[int]) -> dict:
    """What the team made stay: agreement versions it adopted and commitments kept, counts only.
    Behind an adoption are whoever proposed and adopted it and, in a live session, everyone
    present (the team agreed it together); behind a kept commitment, its volunteer."""
    return {
        "agreements": {"adopted": _figure(len(adoptions), len(set().union(*adoptions)))},
        "commitments": {"kept": _figure(len(kept), len(set(kept)))},
    }


def _pair_figures(*, members: set[int], pairs: list[tuple[int, int, datetime]]) -> dict:
    """Trust spreading one to one: how many distinct pairs of the team's members practised
    together, and how many of its members were in at least one. A pair counts for a team when
    both people are its members at the rollup (a pair across two teams counts for neither)."""
    within = {(low, high) for low, high, _ in pairs if low in members and high in members}
    paired = {person for pair in within for person in pair}
    return {
        "pairs": _figure(len(within), len(paired)),
        "paired_people": _figure(len(paired), len(paired)),
    }


def _health_figures(*, members: set[int], answers: list[tuple[str, int, int]]) -> dict:
    """Per check-in question, the team's answers that week: how many, from how many people, their
    mean and how many gave each score 1-5. Only the team's members count, as for every figure."""
    by_question: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for question, author, value in answers:
        if author in members:
            by_question[question].append((author, value))
    return {
        question: {
            "answers": len(given),
            "people": len({author for author, _ in given}),
            "mean": round(statistics.mean(value for _, value in given), 2),
            "distribution": [sum(1 for _, value in given if value == score) for score in range(1, 6)],
        }
        for question, given in by_question.items()
    }


def _facts(start: datetime, end: datetime) -> dict:
    """What happened in [start, end), grouped by person (or by team where it belongs to one)."""
    runs = Run.objects.filter(completed_at__gte=start, completed_at__lt=end)
    completions = {
        (row["user_id"], row["exercise__theme__slug"]): row["n"]
        for row in runs.values("user_id", "exercise__theme__slug").annotate(n=Count("id"))
    }
    per_person_mood = dict(
        Reflection.objects.filter(created_at__gte=start, created_at__lt=end, mood__isnull=False)
        .values("author_id")
        .annotate(mood=Avg("mood"))
        .values_list("author_id", "mood")
    )
    acknowledgements = list(
        Acknowledgement.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
            "sender_id", "recipient_id", "behaviour"
        )
    )
    sessions: dict[int, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    for team_id, session_id, user_id in Connection.objects.filter(
        session__created_at__gte=start, session__created_at__lt=end
    ).values_list("session__team_id", "session_id", "user_id"):
        sessions[team_id][session_id].add(user_id)
    for team_id, session_id in GroupSession.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
        "team_id", "pk"
    ):
        sessions[team_id].setdefault(session_id, set())
    orphans: dict[int, dict] = defaultdict(lambda: {"posted": [], "claimed": [], "done": [], "waits": []})
    for team_id, poster in Orphan.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
        "team_id", "posted_by_id"
    ):
        orphans[team_id]["posted"].append(poster)
    # Counted by who claimed first: a later release does not make a claim anyone else's.
    for team_id, claimant, created_at, claimed_at in Orphan.objects.filter(
        first_claimed_at__gte=start, first_claimed_at__lt=end, first_claimed_by__isnull=False
    ).values_list("team_id", "first_claimed_by_id", "created_at", "first_claimed_at"):
        orphans[team_id]["claimed"].append(claimant)
        orphans[team_id]["waits"].append((claimant, (claimed_at - created_at).total_seconds() / 60))
    for team_id, claimant in Orphan.objects.filter(
        done_at__gte=start, done_at__lt=end, claimed_by__isnull=False
    ).values_list("team_id", "claimed_by_id"):
        orphans[team_id]["done"].append(claimant)
    kept: dict[int, list[int]] = defaultdict(list)
    for team_id, volunteer in Commitment.objects.filter(
        status=Commitment.Status.DONE, done_at__gte=start, done_at__lt=end
    ).values_list("team_id", "volunteer_id"):
        kept[team_id].append(volunteer)
    active = (
        {user_id for user_id, _ in completions}
        | set(Reflection.objects.filter(created_at__gte=start, created_at__lt=end).values_list("author_id", flat=True))
        | {sender for sender, _, _ in acknowledgements}
        | {user_id for team in sessions.values() for people in team.values() for user_id in people}
        | set(Activity.objects.filter(created_at__gte=start, created_at__lt=end).values_list("actor_id", flat=True))
    )
    return {
        "completions": completions,
        "adoptions": _adoptions(start, end),
        "kept": kept,
        "checkins": _checkins(start, end),
        "pairs": pairs_completed_between(start=start, end=end),
        "moods": per_person_mood,
        "acknowledgements": acknowledgements,
        "sessions": sessions,
        "orphans": orphans,
        "active": active,
    }


def _adoptions(start: datetime, end: datetime) -> dict[int, list[set[int]]]:
    """Agreement versions adopted in the week, by team: the people behind each (see
    `_made_figures`). Never their words."""
    adopted = list(
        Version.objects.filter(adopted_at__gte=start, adopted_at__lt=end).values_list(
            "agreement__team_id", "session_id", "proposed_by_id", "adopted_by_id"
        )
    )
    present: dict[int, set[int]] = defaultdict(set)
    for session_id, user_id in Connection.objects.filter(
        session_id__in={session_id for _, session_id, _, _ in adopted if session_id}
    ).values_list("session_id", "user_id"):
        present[session_id].add(user_id)
    adoptions: dict[int, list[set[int]]] = defaultdict(list)
    for team_id, session_id, proposer, adopter in adopted:
        adoptions[team_id].append(({proposer, adopter} | present[session_id]) - {None})
    return adoptions


def _checkins(start: datetime, end: datetime) -> dict[int, list[tuple[str, int, int]]]:
    """Check-in answers given in the week's sessions, by the session's team: (question, author,
    score). A session belongs to the week it was started in, as for sessions held."""
    questions = {
        (exercise_id, position): question
        for exercise_id, position, question in Step.objects.filter(kind=Step.Kind.CHECKIN)
        .exclude(question="")
        .values_list("exercise_id", "position", "question")
    }
    answers: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for team_id, exercise_id, position, author, value in Share.objects.filter(
        session__created_at__gte=start, session__created_at__lt=end, value__isnull=False
    ).values_list("session__team_id", "session__exercise_id", "step", "author_id", "value"):
        question = questions.get((exercise_id, position))
        if question:
            answers[team_id].append((question, author, value))
    return answers


# Larger than any threshold an organisation may set.
OVERLAP_HORIZON = 100


def _overlaps(team_id: int, *, members: dict[int, set[int]], organisation_of: dict[int, int]) -> dict[str, int]:
    """Teams of the same organisation sharing people with this one, and by how many people the
    two differ. Two teams that differ by fewer than k people must not both be published: the
    difference of their figures would be about those few (see insights.selectors)."""
    mine = members[team_id]
    return {
        str(other): len(mine ^ people)
        for other, people in members.items()
        if other != team_id
        and organisation_of.get(other) == organisation_of[team_id]
        and mine & people
        and len(mine ^ people) < OVERLAP_HORIZON
    }


def insights_roll_up(*, week_start: date) -> int:
    """Roll up one finished week for every team that has no rollup for it yet; returns how many.

    A published week is never recomputed (see insights.models)."""
    start = datetime.combine(week_start, datetime.min.time(), tzinfo=UTC)
    end = start + timedelta(weeks=1)
    if end > timezone.now():
        raise ValueError("Only a finished week can be rolled up.")
    done = set(TeamWeek.objects.filter(week_start=week_start).values_list("team_id", flat=True))
    # A team archived before the week began had nobody in it that week.
    organisation_of = dict(Team.objects.exclude(archived_at__lt=start).values_list("pk", "organisation_id"))
    teams = [team_id for team_id in organisation_of if team_id not in done]
    if not teams:
        return 0
    members: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in Membership.objects.filter(user__is_active=True, team_id__in=organisation_of).values_list(
        "team_id", "user_id"
    ):
        members[team_id].add(user_id)
    facts = _facts(start, end)
    computed_at = timezone.now()  # one moment for the whole run (see insights.selectors._too_close)
    rows = [
        TeamWeek(
            team_id=team_id,
            week_start=week_start,
            computed_at=computed_at,
            members=len(members[team_id]),
            figures={
                **_week_figures(members=members[team_id], team_id=team_id, facts=facts),
                "overlaps": _overlaps(team_id, members=members, organisation_of=organisation_of),
            },
        )
        for team_id in teams
    ]
    with transaction.atomic():
        TeamWeek.objects.bulk_create(rows, ignore_conflicts=True)
        _present(week_start=week_start, organisation_ids={organisation_of[team_id] for team_id in teams})
    return len(rows)


def _present(*, week_start: date, organisation_ids: set[int]) -> None:
    """Present the week to coaches (insights.presenters) in these organisations, from every
    rollup of it: each team's row and the organisation's, built for the organisation's k and
    the catalogue as they are now."""
    layout = insights_layout()
    rows: dict[int, list[TeamWeek]] = defaultdict(list)
    for row in TeamWeek.objects.filter(week_start=week_start, team__organisation_id__in=organisation_ids).annotate(
        organisation_id=F("team__organisation_id")
    ):
        rows[row.organisation_id].append(row)
    presented = []
    for organisation in Organisation.objects.filter(pk__in=organisation_ids):
        k = threshold(organisation)
        week = present_week(week_start, rows[organisation.pk], k=k, layout=layout)
        for row in rows[organisation.pk]:
            row.presented = week.teams[row.team_id]
        presented.append(
            OrganisationWeek(
                organisation=organisation,
                week_start=week_start,
                presented=week.organisation,
                built_for=built_for(k=k, layout=layout, team_ids=week.teams),
            )
        )
    TeamWeek.objects.bulk_update([row for each in rows.values() for row in each], ["presented"], batch_size=500)
    OrganisationWeek.objects.bulk_create(
        presented,
        update_conflicts=True,
        unique_fields=["organisation", "week_start"],
        update_fields=["presented", "built_for", "presented_at"],
    )


def _stale_weeks() -> dict[date, set[int]]:
    """The organisations whose presentation of a week is missing or was built for something
    else (another k, another catalogue, a team since deleted), by week."""
    layout = insights_layout()
    k_of = {organisation.pk: threshold(organisation) for organisation in Organisation.objects.all()}
    teams: dict[tuple[int, date], list[int]] = defaultdict(list)
    for organisation_id, monday, team_id in TeamWeek.objects.values_list(
        "team__organisation_id", "week_start", "team_id"
    ):
        teams[organisation_id, monday].append(team_id)
    presented = {
        (organisation_id, monday): built
        for organisation_id, monday, built in OrganisationWeek.objects.values_list(
            "organisation_id", "week_start", "built_for"
        )
    }
    stale: dict[date, set[int]] = defaultdict(set)
    for organisation_id, monday in teams.keys() | presented.keys():
        expected = built_for(k=k_of[organisation_id], layout=layout, team_ids=teams.get((organisation_id, monday), []))
        if presented.get((organisation_id, monday)) != expected:
            stale[monday].add(organisation_id)
    return stale


def insights_catch_up(*, now: datetime | None = None, weeks: int = 8) -> int:
    """Roll up every recent finished week still missing (the periodic job), and present again
    every week whose presentation no longer fits (an organisation's k or the catalogue
    changed, a team was deleted); returns how many team-weeks were rolled up."""
    now = now or timezone.now()
    rolled_up = sum(insights_roll_up(week_start=monday) for monday in finished_weeks(now=now, count=weeks))
    for monday, organisation_ids in _stale_weeks().items():
        with transaction.atomic():
            _present(week_start=monday, organisation_ids=organisation_ids)
    return rolled_up


@transaction.atomic
def insights_look(
    *,
    coach: User,
    organisation_id: int,
    format: str,
    first: str | None = None,
    last: str | None = None,
    team_id: int | None = None,
) -> Table:
    """A coach's look at the insights table, through any door: every look that shows figures is
    recorded (who, which organisation and team, which weeks, in what format, when); a refused
    or invalid one shows nothing and records nothing."""
    table = insights_for_coach(user=coach, organisation_id=organisation_id, first=first, last=last, team_id=team_id)
    weeks = table.weeks
    InsightView.objects.create(
        coach=coach,
        organisation_id=organisation_id,
        team_id=team_id,
        weeks=f"{weeks[0]}..{weeks[-1]}" if weeks else "",
        format=format,
    )
    return table
