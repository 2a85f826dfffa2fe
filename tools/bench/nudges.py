"""How fast nudges are planned and delivered.

    .venv/bin/python tools/bench/nudges.py [--people 100000] [--pushes 50000] [--baseline-pushes 5000] [--rounds 3]

Needs this machine's PostgreSQL and Redis, and nginx with its echo module (Debian:
`apt-get install nginx-light`) as the fake FCM. Creates --people people spread over time zones
from UTC-10 to UTC+14 and times one planning pass (people planned per second).

Then delivery, end to end as the worker's delivery task runs it (claim, re-check, in-app copy on
the event stream through Redis, send, record, prune): --pushes due nudges, one device each,
delivered by one worker process, then by two at once, to a fake FCM (nginx, over HTTP/2 with
TLS, in its own process: a fixed answer to every request), --rounds times in turn; the figures
are each round's and the medians. All those nudges say the same; a last round gives each nudge
its own text, as most real ones have (a name, a count), with one worker. The baseline, in the same run, is the same delivery code
sending through firebase-admin's own `send_each` (a thread per message over `requests`,
HTTP/1.1) as the project did before, over --baseline-pushes nudges.

Benchmark-only changes in the worker processes: firebase-admin's FCM endpoint points at the
fake, libcurl trusts the fake's certificate, and the kind's own relevance look (is the session
still live?) is skipped, since the benchmark's nudges name no real session.
"""

import argparse
import multiprocessing
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from _servers import cpu_seconds, fake_fcm, setup_django

ZONES = [
    "Pacific/Honolulu",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
]


def make_people(count: int):
    from accounts.models import Organisation, User

    organisation = Organisation.objects.create(name="Bench")
    User.objects.bulk_create(
        (
            User(
                email=f"bench{n}@bench.test",
                organisation=organisation,
                time_zone=ZONES[n % len(ZONES)],
                date_joined=datetime(2026, 1, 1, tzinfo=UTC),
                password="!",
            )
            for n in range(count)
        ),
        batch_size=5000,
    )


def make_backlog(count: int, *, personal: bool = False) -> None:
    """`count` people with one device each and one due nudge each, made afresh; with `personal`,
    each nudge's text is its own (a different name in each), else all say the same."""
    from datetime import time as clock

    from django.db import connection

    from accounts.models import User
    from events.models import Event, EventStream
    from nudges.models import Device, Kind, Nudge, Preferences

    for model in (Nudge, Device, Preferences, Event, EventStream):
        model.objects.all().delete()
    people = list(User.objects.order_by("pk").values_list("pk", flat=True)[:count])
    # No quiet hours, so the benchmark measures sending rather than deferring.
    Preferences.objects.bulk_create(
        (Preferences(user_id=pk, quiet_start=clock(0), quiet_end=clock(0)) for pk in people), batch_size=5000
    )
    Device.objects.bulk_create(
        (Device(user_id=pk, token=f"bench-token-{pk}", platform="android") for pk in people), batch_size=5000
    )
    due = datetime.now(UTC) - timedelta(minutes=1)
    Nudge.objects.bulk_create(
        (
            Nudge(
                user_id=pk,
                kind=Kind.SESSION_STARTED,
                dedupe_key=f"bench:{pk}",
                due_at=due,
                context={
                    "session_id": 0,
                    "started_by": f"Morgan {pk}" if personal else "Morgan",
                    "title": "Check-in",
                    "team": "North",
                },
            )
            for pk in people
        ),
        batch_size=5000,
    )
    # Statistics as autovacuum keeps them once a backlog is there: otherwise the planner goes by
    # the table as it was before this backlog (a bulk delete and insert a moment ago).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE nudges_nudge")


def deliver_worker(url: str, ca_file: str, baseline: bool, start, results) -> None:
    """One worker process: the delivery task's own loop, until nothing is due."""
    os.environ.update(FIREBASE_PROJECT_ID="bench", PUSH_BACKEND="nudges.push.FcmBackend")
    setup_django(create=False)
    from django.db import connection
    from firebase_admin import messaging

    import nudges.delivery
    import nudges.http2
    import nudges.recheck
    from accounts.firebase import firebase_app
    from nudges.tasks import DELIVERY_TASK_SECONDS

    messaging._get_messaging_service(firebase_app())._fcm_url = url
    nudges.http2.CA_BUNDLE = ca_file
    nudges.recheck._still_relevant = lambda nudge, user, local: ""
    if baseline:
        from requests.adapters import HTTPAdapter

        service = messaging._get_messaging_service(firebase_app())
        service._client.session.mount("http://127.0.0.1", HTTPAdapter(pool_connections=100, pool_maxsize=500))
        nudges.delivery.push_backend = SendEachBackend
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [(database_pid,)] = cursor.fetchall()
    start.wait()
    began, cpu, database_cpu, handled = time.perf_counter(), time.process_time(), cpu_seconds(database_pid), 0
    while batch := nudges.delivery.nudges_deliver_due(seconds=DELIVERY_TASK_SECONDS):
        handled += batch
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    results.put((os.getpid(), handled, seconds, cpu, cpu_seconds(database_pid) - database_cpu))


class SendEachBackend:
    """The baseline: firebase-admin's own send_each, as the FCM backend sent before."""

    def send(self, pushes):
        from firebase_admin import messaging

        from accounts.firebase import firebase_app
        from nudges.push import PushResult, _message, classify

        response = messaging.send_each([_message(push) for push in pushes], app=firebase_app())
        return [
            PushResult(outcome="sent", message_id=sent.message_id) if sent.success else classify(sent.exception)
            for sent in response.responses
        ]


def deliver(fcm, *, workers: int, pushes: int, baseline: bool = False, personal: bool = False) -> float:
    """Deliver a fresh backlog of `pushes` with `workers` processes; print and return pushes/s."""
    from django.db import connections

    from nudges.models import DeliveryAttempt, Nudge

    make_backlog(pushes, personal=personal)
    connections.close_all()
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    url = fcm.h1_url if baseline else fcm.h2_url
    processes = [
        context.Process(target=deliver_worker, args=(url, fcm.ca_file, baseline, start, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    time.sleep(3)  # Django set up in each before the clock starts
    counts, fcm_cpu = fcm.counters(), fcm.cpu_seconds()
    start.set()
    reports = [results.get() for _ in processes]
    for process in processes:
        process.join()
    after = fcm.counters()
    wall = max(report[2] for report in reports)
    rate = pushes / wall
    name = "firebase-admin send_each (baseline)" if baseline else f"{workers} worker{'s' * (workers > 1)}"
    name += ", each nudge its own text" if personal else ""
    print(f"  {name}: {pushes} nudges in {wall:.1f} s = {rate:,.0f} pushes/s")
    for pid, handled, seconds, cpu, database_cpu in reports:
        print(
            f"    worker {pid}: {handled} in {seconds:.1f} s = {handled / seconds:,.0f}/s; CPU a push: "
            f"{cpu / max(handled, 1) * 1000:.2f} ms in the worker, {database_cpu / max(handled, 1) * 1000:.2f} ms in "
            "its PostgreSQL backend"
        )
    sent = DeliveryAttempt.objects.filter(outcome="sent")
    distinct = sent.values("nudge", "device").distinct().count()
    received = after["requests"] - counts["requests"] - 1  # less the status read itself
    print(
        f"    exactly once: {sent.count() == distinct == pushes} ({sent.count()} successes recorded, {distinct} "
        f"distinct, {Nudge.objects.filter(status='sent').count()} nudges sent; the fake FCM got {received} requests "
        f"on {after['connections'] - counts['connections'] - 1} connections, using "
        f"{(fcm.cpu_seconds() - fcm_cpu) / wall:.0%} of a core)"
    )
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--pushes", type=int, default=50_000)
    parser.add_argument("--baseline-pushes", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3, help="one worker, then two, this many times in turn")
    args = parser.parse_args()
    setup_django()
    from nudges.clock import nudges_plan
    from nudges.models import Nudge

    make_people(max(args.people, args.pushes))
    # 06:00 UTC: somewhere it is morning, somewhere evening; everyone gets today's or tomorrow's.
    now = datetime(2026, 6, 10, 6, 0, tzinfo=UTC)
    began = time.perf_counter()
    nudges_plan(now=now)
    elapsed = time.perf_counter() - began
    planned_people = Nudge.objects.values("user").distinct().count()
    print(
        f"planning: {planned_people} people planned in {elapsed:.1f} s = {planned_people / elapsed:,.0f} people/s "
        f"({Nudge.objects.count()} nudges)"
    )

    print(f"delivery, end to end, to a fake FCM on loopback ({os.cpu_count()} cores):")
    with fake_fcm() as fcm:
        baseline = deliver(fcm, workers=1, pushes=args.baseline_pushes, baseline=True)
        # On a shared machine one round can be unlucky: one and two workers take turns.
        ones, twos = [], []
        for _ in range(args.rounds):
            ones.append(deliver(fcm, workers=1, pushes=args.pushes))
            twos.append(deliver(fcm, workers=2, pushes=args.pushes))
        personal = deliver(fcm, workers=1, pushes=args.pushes, personal=True)
    one, two = statistics.median(ones), statistics.median(twos)
    print(
        f"  medians of {args.rounds} rounds: one worker {one:,.0f} pushes/s, {one / baseline:.1f}× the baseline; "
        f"two workers {two:,.0f} pushes/s, {two / one:.2f}× one (each round: "
        + ", ".join(f"{b / a:.2f}×" for a, b in zip(ones, twos))
        + f"); one worker with each nudge's own text {personal:,.0f} pushes/s, {personal / one:.2f}× the same text"
    )


if __name__ == "__main__":
    main()
