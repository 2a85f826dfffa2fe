"""How fast nudges are planned and delivered.

    .venv/bin/python tools/bench/nudges.py [--people 100000] [--pushes 50000] [--workers 2]

Needs this machine's PostgreSQL. Creates --people people spread over time zones from UTC-10 to
UTC+14 and times one planning pass (people planned per second). Then gives --pushes of them a
device and a due nudge and lets --workers worker processes deliver them through the real
firebase-admin code to a fake FCM server on loopback (pushes per second per worker).
"""

import argparse
import json
import multiprocessing
import os
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _servers import setup_django

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


class FakeFcm(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"name": "projects/bench/messages/1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_fake_fcm(port: int) -> None:
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), FakeFcm).serve_forever()


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


def make_backlog(count: int, now):
    from datetime import time as clock

    from accounts.models import User
    from nudges.models import Device, Kind, Nudge, Preferences

    Nudge.objects.all().delete()
    people = list(User.objects.order_by("pk").values_list("pk", flat=True)[:count])
    # No quiet hours, so the benchmark measures sending rather than deferring.
    Preferences.objects.bulk_create(
        (Preferences(user_id=pk, quiet_start=clock(0), quiet_end=clock(0)) for pk in people), batch_size=5000
    )
    Device.objects.bulk_create(
        (Device(user_id=pk, token=f"bench-token-{pk}", platform="android") for pk in people), batch_size=5000
    )
    Nudge.objects.bulk_create(
        (
            Nudge(
                user_id=pk,
                kind=Kind.SESSION_STARTED,
                dedupe_key=f"bench:{pk}",
                due_at=now,
                context={"session_id": 0, "started_by": "Morgan", "title": "Check-in", "team": "North"},
            )
            for pk in people
        ),
        batch_size=5000,
    )


def deliver_worker(port: int, now_iso: str, results) -> None:
    setup_django(create=False)
    from django.conf import settings
    from firebase_admin import messaging
    from requests.adapters import HTTPAdapter

    import nudges.recheck
    from accounts.firebase import firebase_app

    settings.FIREBASE_PROJECT_ID = "bench"
    settings.PUSH_BACKEND = "nudges.push.FcmBackend"
    # Point firebase-admin's FCM client at the fake server on loopback (benchmark only).
    service = messaging._get_messaging_service(firebase_app())
    service._fcm_url = f"http://127.0.0.1:{port}/v1/projects/bench/messages:send"
    service._client.session.mount("http://127.0.0.1", HTTPAdapter(pool_connections=100, pool_maxsize=500))
    # The session has no live session row to check in this benchmark.
    nudges.recheck._still_relevant = lambda nudge, user, local: ""
    from nudges.delivery import nudges_deliver
    from nudges.push import FcmBackend

    sending = [0.0]
    original_send = FcmBackend.send

    def timed_send(self, pushes):
        started = time.perf_counter()
        try:
            return original_send(self, pushes)
        finally:
            sending[0] += time.perf_counter() - started

    FcmBackend.send = timed_send
    now = datetime.fromisoformat(now_iso)
    began, handled = time.perf_counter(), 0
    while batch := nudges_deliver(now=now, limit=500):
        handled += batch
    elapsed = time.perf_counter() - began
    results.put((os.getpid(), handled, elapsed, sending[0]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--pushes", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    setup_django()
    from nudges.clock import nudges_plan
    from nudges.models import DeliveryAttempt, Nudge

    make_people(args.people)
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

    make_backlog(args.pushes, now=now - timedelta(minutes=1))
    port = 18765
    context = multiprocessing.get_context("spawn")
    server = context.Process(target=serve_fake_fcm, args=(port,), daemon=True)
    server.start()
    time.sleep(0.5)
    results = context.Queue()
    from django.db import connections

    connections.close_all()
    workers = [
        context.Process(target=deliver_worker, args=(port, now.isoformat(), results)) for _ in range(args.workers)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    server.terminate()
    pushes = DeliveryAttempt.objects.filter(outcome="sent").count()
    print(f"delivery: {pushes} pushes by {args.workers} workers to a fake FCM on loopback")
    for _ in workers:
        pid, handled, seconds, sending = results.get()
        print(
            f"  worker {pid}: {handled} nudges in {seconds:.1f} s = {handled / seconds:,.0f} pushes/s "
            f"({sending:.1f} s of it in firebase-admin's send_each)"
        )
    duplicates = DeliveryAttempt.objects.values("nudge", "device").distinct().count()
    print(f"  exactly once: {duplicates == pushes} ({pushes} deliveries, {duplicates} distinct)")


if __name__ == "__main__":
    main()
