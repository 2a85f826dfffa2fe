"""How fast coaches and leads get their figures, with a year of history behind them.

    .venv/bin/python tools/bench/insights.py [--people 2000] [--runs 1000000] [--requests 200]

Needs this machine's PostgreSQL (BENCH_DATABASE, default humble_bench, is made afresh). Seeds
--people people in teams of 8 to 12 with a year of runs, reflections and acknowledgements, and
rolls up every finished week as the worker does, which presents each week to coaches too.

Then it asks the insights endpoint for 12 weeks of the whole organisation --requests times and
prints p50, p99 and the number of queries per request. Nothing is cached: each request reads
what the rollups presented. The baseline, in the same run, is the same request with the weeks'
presentations deleted, so that each one is built from the rollups per request (what every
request did before weeks were presented once, and what a request does until the worker
presents a week again after a change of k). Both answers must be identical. It prints the
same for one team asked alone, and how long presenting 52 weeks takes.

Then team health: it adds a year of live sessions (--runs / 100) whose check-ins the team
answered, rolls the same 52 weeks up again, and asks the insights endpoint and a lead's
`teams/{id}/health` as many times. Speed is a ratio to a baseline taken in this run: the
rollup and the insights request against the same ones without check-in answers, and the
health endpoint against the lead's `teams/{id}` (the team with its members).
"""

import argparse
import json
import random
import time
import uuid
from datetime import datetime, timedelta

from _servers import percentile, setup_django


def seed(people: int, runs: int, now: datetime) -> tuple:
    from accounts.models import Organisation, User
    from acknowledgements.models import Acknowledgement
    from exercises.models import Exercise, Run
    from exercises.services import content_pack_load
    from reflections.crypto import encrypt
    from reflections.models import Reflection
    from teams.models import CoachAssignment, Membership, Team

    rng = random.Random(7)
    content_pack_load()
    organisation = Organisation.objects.create(name="Bench Org")
    users = User.objects.bulk_create(
        User(email=f"p{n}@bench.test", organisation=organisation, password="!", display_name=f"P{n}")
        for n in range(people)
    )
    teams, memberships, start = [], [], 0
    while start < people:
        size = rng.randint(8, 12)
        team = Team.objects.create(organisation=organisation, name=f"Team {len(teams) + 1}")
        teams.append(team)
        memberships += [Membership(team=team, user=user) for user in users[start : start + size]]
        start += size
    Membership.objects.bulk_create(memberships)
    coach = User.objects.create(email="coach@bench.test", password="!")
    CoachAssignment.objects.create(coach=coach, organisation=organisation)
    exercises = list(Exercise.objects.filter(is_active=True))
    year_ago = now - timedelta(days=364)
    ciphertext = encrypt("A reflection for the benchmark.")
    batch = []
    for _ in range(runs):
        completed = year_ago + timedelta(seconds=rng.randint(0, 364 * 86400))
        batch.append(
            Run(
                user=rng.choice(users),
                exercise=rng.choice(exercises),
                client_id=uuid.uuid4(),
                started_at=completed - timedelta(minutes=5),
                completed_at=completed,
            )
        )
        if len(batch) == 20000:
            Run.objects.bulk_create(batch)
            batch = []
    Run.objects.bulk_create(batch)
    Reflection.objects.bulk_create(
        (
            Reflection(
                author=rng.choice(users),
                body_ciphertext=ciphertext,
                mood=rng.randint(1, 5),
                client_id=uuid.uuid4(),
                created_at=year_ago + timedelta(seconds=rng.randint(0, 364 * 86400)),
            )
            for _ in range(runs // 5)
        ),
        batch_size=20000,
    )
    Acknowledgement.objects.bulk_create(
        (
            Acknowledgement(
                organisation=organisation,
                sender=s,
                recipient=r,
                message="Thanks",
                client_id=uuid.uuid4(),
                behaviour=rng.choice(Acknowledgement.Behaviour.values),
                created_at=year_ago + timedelta(seconds=rng.randint(0, 364 * 86400)),
            )
            for s, r in ((rng.choice(users), rng.choice(users)) for _ in range(runs // 10))
            if s != r
        ),
        batch_size=20000,
    )
    return organisation, coach


def seed_check_ins(organisation, sessions: int, now: datetime) -> int:
    """A year of ended live sessions of group exercises with a check-in, each answered by most
    of the team; returns how many answers."""
    from exercises.models import Exercise, Step
    from group_sessions.models import GroupSession, Share
    from teams.models import Membership

    rng = random.Random(11)
    members: dict[int, list[int]] = {}
    for team_id, user_id in Membership.objects.filter(team__organisation=organisation).values_list(
        "team_id", "user_id"
    ):
        members.setdefault(team_id, []).append(user_id)
    check_ins: dict[int, list[int]] = {}
    for exercise_id, position in Step.objects.filter(
        kind=Step.Kind.CHECKIN, exercise__mode=Exercise.Mode.GROUP, exercise__is_active=True
    ).values_list("exercise_id", "position"):
        check_ins.setdefault(exercise_id, []).append(position)
    year_ago = now - timedelta(days=364)
    created = GroupSession.objects.bulk_create(
        (
            GroupSession(
                team_id=rng.choice(list(members)),
                exercise_id=rng.choice(list(check_ins)),
                phase=GroupSession.Phase.ENDED,
                created_at=(started := year_ago + timedelta(seconds=rng.randint(0, 364 * 86400))),
                ended_at=started + timedelta(minutes=10),
            )
            for _ in range(sessions)
        ),
        batch_size=5000,
    )
    answers = [
        Share(session=session, step=position, author_id=person, value=rng.randint(1, 5), created_at=session.created_at)
        for session in created
        for position in check_ins[session.exercise_id]
        for person in members[session.team_id]
        if rng.random() < 0.8
    ]
    Share.objects.bulk_create(answers, batch_size=20000)
    return len(answers)


def timed(client, path: str, requests: int) -> tuple[list[float], int, bytes]:
    """Milliseconds per request, the queries of the last one and its body; after one request
    not counted (a process's first pays for imports and first-time set-up)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    return timings, len(queries), response.content


def explain(client, path: str) -> None:
    """Each query of one request, with PostgreSQL's plan as it ran (EXPLAIN ANALYZE), for the README."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    for query in queries.captured_queries:
        if not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        print(f"  -- {query['sql'][:160]}{'...' if len(query['sql']) > 160 else ''}")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {query['sql']}")
            for (line,) in cursor.fetchall():
                print(f"     {line}")


def catch_up(now) -> tuple[int, float]:
    """The worker's run over the year: team-weeks rolled up, and seconds taken."""
    from insights.services import insights_catch_up

    began = time.perf_counter()
    rolled = insights_catch_up(now=now, weeks=52)
    return rolled, time.perf_counter() - began


def summary(timings: list[float]) -> str:
    return f"p50 {percentile(timings, 0.5):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms"


def presented_against_built(client, path: str, requests: int, now) -> tuple[list[float], int, dict]:
    """The request as served from the presented weeks, against the same request while every week
    is built from the rollups per request; checks both answer the same."""
    from insights.models import OrganisationWeek

    OrganisationWeek.objects.all().delete()
    built, built_queries, built_body = timed(client, path, max(requests // 4, 5))
    catch_up(now)  # the worker's next run presents every week again
    timings, queries, body = timed(client, path, requests)
    assert json.loads(body) == json.loads(built_body), "the presented table differs from the one built per request"
    print(
        f"  presented: {summary(timings)}, {queries} queries, {len(body) / 1e6:.1f} MB; "
        f"built per request: {summary(built)}, {built_queries} queries; "
        f"p50 {percentile(timings, 0.5) / percentile(built, 0.5):.3f}x, "
        f"p99 {percentile(timings, 0.99) / percentile(built, 0.99):.3f}x built per request; identical answers"
    )
    return timings, queries, json.loads(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.utils import timezone
    from rest_framework.test import APIClient

    from insights.models import OrganisationWeek, TeamWeek
    from teams.models import Membership

    settings.ALLOWED_HOSTS = ["testserver"]
    now = timezone.now()
    began = time.perf_counter()
    organisation, coach = seed(args.people, args.runs, now)
    print(f"seeded {args.people} people, {args.runs} runs in {time.perf_counter() - began:.0f} s")
    rolled, baseline_roll_up = catch_up(now)
    OrganisationWeek.objects.all().delete()
    _, presenting = catch_up(now)
    print(
        f"rolled up {rolled} team-weeks in {baseline_roll_up:.1f} s, presenting them included; "
        f"presenting the 52 weeks alone: {presenting:.1f} s"
    )
    client = APIClient()
    client.force_authenticate(coach)
    path = f"/api/v1/coach/organisations/{organisation.pk}/insights"
    print("insights, the whole organisation, 12 weeks:")
    baseline, _, body = presented_against_built(client, path, args.requests, now)
    print(f"  ({len(body['teams'])} teams x {len(body['weeks'])} weeks); its queries, explained:")
    explain(client, path)
    team_id = body["teams"][0]["id"]
    print("insights, one team asked alone (?team=), 12 weeks:")
    presented_against_built(client, f"{path}?team={team_id}", args.requests, now)

    began = time.perf_counter()
    answers = seed_check_ins(organisation, args.runs // 100, now)
    print(f"seeded {args.runs // 100} live sessions, {answers} check-in answers in {time.perf_counter() - began:.0f} s")
    TeamWeek.objects.all().delete()  # the same weeks again, now with check-ins to roll up
    OrganisationWeek.objects.all().delete()
    _, with_health = catch_up(now)
    print(
        f"health: rolled up in {with_health:.1f} s, {with_health / baseline_roll_up:.2f}x the rollup without check-ins"
    )
    timings, queries, content = timed(client, path, args.requests)
    body = json.loads(content)
    published = sum(
        week["health"][question]["mean"]["value"] is not None
        for team in body["teams"]
        for week in team["weeks"]
        for question in week["health"]
    )
    print(
        f"health: insights {summary(timings)}, "
        f"{percentile(timings, 0.5) / percentile(baseline, 0.5):.2f}x without check-ins, {queries} queries, "
        f"{published} published team-week-question means"
    )
    lead = Membership.objects.filter(team__organisation=organisation).select_related("team", "user").first()
    Membership.objects.filter(pk=lead.pk).update(role=Membership.Role.LEAD)
    leader = APIClient()
    leader.force_authenticate(lead.user)
    team_baseline, _, _ = timed(leader, f"/api/v1/teams/{lead.team_id}", args.requests)
    timings, queries, _ = timed(leader, f"/api/v1/teams/{lead.team_id}/health", args.requests)
    print(
        f"health: teams/{{id}}/health {summary(timings)}, "
        f"{percentile(timings, 0.5) / percentile(team_baseline, 0.5):.2f}x teams/{{id}} "
        f"(p50 {percentile(team_baseline, 0.5):.1f} ms), {queries} queries"
    )


if __name__ == "__main__":
    main()
