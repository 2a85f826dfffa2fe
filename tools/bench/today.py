"""How long today's screen takes for someone with a long history, against a newcomer.

    .venv/bin/python tools/bench/today.py [--runs 3000] [--requests 300] [--sqlite]

Runs on this machine's PostgreSQL (BENCH_DATABASE, default humble_bench_today, is made afresh),
or with --sqlite on the embedded default, a SQLite file in a temporary directory.
Seeds the content pack, a team of eight, a newcomer with 3 completed runs and four veterans with
--runs completed runs each over the years before (about one a day), each with a few unread
acknowledgements, and their practice counted as the migration counts it.

Then, in this one process, it asks `GET /api/v1/today` as each of them --requests times,
interleaved in a shuffled order, and prints the median per request, the number of queries and
the veteran ÷ newcomer ratio (the goal: at most 1.3). The baselines, in the same run, are
baseline.py's: the bare Django view doing the same work (the same selector and queries, the answer
built by hand, no DRF), whose ratio says what the API's door costs, and the same SELECTs replayed
alone, whose ratio says what the screen costs beyond its queries. Today's pick may be a solo or a pair
exercise (a pair one also suggests a partner, two more queries), so it measures a day on which
the newcomer and a veteran both get a solo pick, and one on which both get a pair pick.
"""

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

os.environ.setdefault("BENCH_DATABASE", "humble_bench_today")

from _servers import setup_django  # noqa: E402

FIRST_DAY = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # noon UTC on the days measured


def seed(runs: int) -> tuple:
    """A newcomer and four veterans (each a different history), in a team of eight."""
    from accounts.models import Organisation, User
    from acknowledgements.models import Acknowledgement
    from exercises.models import Exercise, Run
    from exercises.services import content_pack_load, practice_rebuild
    from teams.models import Membership, Team

    rng = random.Random(7)
    content_pack_load()
    organisation = Organisation.objects.create(name="Bench Org")
    team = Team.objects.create(organisation=organisation, name="Bench team")
    people = User.objects.bulk_create(
        User(email=f"p{n}@bench.test", organisation=organisation, password="!", display_name=f"P{n}") for n in range(8)
    )
    Membership.objects.bulk_create(Membership(team=team, user=person) for person in people)
    exercises = list(Exercise.objects.filter(is_active=True))
    newcomer, veterans = people[0], people[1:5]
    for person, count in [(newcomer, 3)] + [(veteran, runs) for veteran in veterans]:
        # About a run a day, the last one the day before the first day measured.
        Run.objects.bulk_create(
            Run(
                user=person,
                exercise=rng.choice(exercises),
                client_id=uuid.uuid4(),
                started_at=at - timedelta(minutes=5),
                completed_at=at,
            )
            for at in (FIRST_DAY - timedelta(days=n + 1, minutes=rng.randint(0, 600)) for n in range(count))
        )
        practice_rebuild(user=person)
        Acknowledgement.objects.bulk_create(
            Acknowledgement(
                sender=people[-1],
                recipient=person,
                organisation=organisation,
                message="Thanks for jumping in.",
                behaviour=Acknowledgement.Behaviour.HELPED,
                client_id=uuid.uuid4(),
            )
            for _ in range(5)
        )
    return newcomer, veterans


def pairings(newcomer, veterans) -> dict[str, tuple[datetime, dict]]:
    """For a solo pick and for a pair pick: a day on which the newcomer gets one, and a veteran
    who gets one that day (a long history's pick changes little from day to day)."""
    import time_machine

    from exercises.selectors import today_for_user

    found = {}
    for n in range(60):
        day = FIRST_DAY + timedelta(days=n)
        with time_machine.travel(day, tick=False):
            mode = today_for_user(user=newcomer).exercise.mode
            veteran = next((v for v in veterans if today_for_user(user=v).exercise.mode == mode), None)
        if veteran is not None:
            found.setdefault(mode, (day, {"newcomer": newcomer, "veteran": veteran}))
        if len(found) == 2:
            return found
    raise RuntimeError(f"no day found for both kinds of pick, only {list(found)}")


def measure(people: dict, requests: int) -> dict[str, tuple[float, int]]:
    """Median seconds and queries per request, for each person and path, interleaved."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    targets = []
    for label, person in people.items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(person)}")
        for kind, path in (("project", "/api/v1/today"), ("bare", "/bench/bare/today"), ("sql", "/bench/sql/today")):
            assert client.get(path).status_code == 200  # warm: the SQL replay records its SELECTs
            with CaptureQueriesContext(connection) as captured:
                client.get(path)
            targets.append(((label, kind), client, path, len(captured)))
    times = {key: [] for key, *_ in targets}
    rng = random.Random(11)
    for _ in range(requests):
        rng.shuffle(targets)
        for key, client, path, _ in targets:
            began = time.perf_counter()
            client.get(path)
            times[key].append(time.perf_counter() - began)
    return {key: (statistics.median(times[key]), queries) for key, _, _, queries in targets}


def setup_sqlite(directory: str) -> None:
    os.environ.update(HUMBLE_VAR_DIR=directory, DJANGO_SETTINGS_MODULE="config.settings")
    os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--sqlite", action="store_true", help="the embedded default instead of PostgreSQL")
    args = parser.parse_args()
    if args.sqlite:
        setup_sqlite(tempfile.mkdtemp(prefix="bench-today-"))
    else:
        setup_django()
    import time_machine
    from django.conf import settings
    from django.test import override_settings

    settings.ALLOWED_HOSTS = ["testserver"]
    newcomer, veterans = seed(args.runs)
    print(f"seeded a newcomer with 3 completed runs and four veterans with {args.runs} each")
    with override_settings(ROOT_URLCONF="baseline"):
        for mode, (day, people) in sorted(pairings(newcomer, veterans).items(), reverse=True):
            with time_machine.travel(day):  # the clock ticks on from there
                figures = measure(people, args.requests)
            print(f"\n{day:%Y-%m-%d}: both get a {mode} pick; median of {args.requests} requests each, interleaved")
            for label in people:
                project, queries = figures[(label, "project")]
                bare, bare_queries = figures[(label, "bare")]
                sql = figures[(label, "sql")][0]
                print(
                    f"  {label:9} {project * 1000:6.2f} ms, {queries} queries;"
                    f" bare view {bare * 1000:5.2f} ms, {bare_queries} queries; project ÷ bare {project / bare:.2f};"
                    f" the SQL alone {sql * 1000:5.2f} ms, project ÷ SQL {project / sql:.2f}"
                )
            ratio = figures[("veteran", "project")][0] / figures[("newcomer", "project")][0]
            print(f"  veteran ÷ newcomer: {ratio:.2f} (goal: at most 1.3)")


if __name__ == "__main__":
    main()
