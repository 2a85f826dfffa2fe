"""How fast coaches get their figures, with a year of history behind them.

    .venv/bin/python tools/bench/insights.py [--people 2000] [--runs 1000000] [--requests 200]

Needs this machine's PostgreSQL. Seeds --people people in teams of 8 to 12 with a year of runs,
reflections and acknowledgements, rolls up every finished week (as the worker does), then asks
the insights endpoint for 12 weeks of the whole organisation --requests times and prints p50,
p99 and the number of queries per request.
"""

import argparse
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from rest_framework.test import APIClient

    from insights.services import insights_catch_up

    settings.ALLOWED_HOSTS = ["testserver"]
    now = timezone.now()
    began = time.perf_counter()
    organisation, coach = seed(args.people, args.runs, now)
    print(f"seeded {args.people} people, {args.runs} runs in {time.perf_counter() - began:.0f} s")
    began = time.perf_counter()
    rolled = insights_catch_up(now=now, weeks=52)
    print(f"rolled up {rolled} team-weeks in {time.perf_counter() - began:.1f} s")
    client = APIClient()
    client.force_authenticate(coach)
    path = f"/api/v1/coach/organisations/{organisation.pk}/insights"
    timings = []
    for _ in range(args.requests):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    teams = len(response.json()["teams"])
    print(
        f"insights for {teams} teams x {len(response.json()['weeks'])} weeks: "
        f"p50 {percentile(timings, 0.5):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms, {len(queries)} queries"
    )


if __name__ == "__main__":
    main()
