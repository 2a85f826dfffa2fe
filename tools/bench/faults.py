"""Faults against the scaled setup: Redis stopped and started, a worker killed mid-delivery, the
database restarted.

    .venv/bin/python tools/bench/faults.py [--scenarios redis,worker,database] [--nudges 2000] [--lease-seconds 30]

Needs this machine's PostgreSQL and Redis, and root (it stops and starts both services, so
anything else using them on this machine sees the same outage). Starts its own scaled setup: a
fresh PostgreSQL database with the demo, two Daphne processes on the Redis channel layer and two
`run_worker` processes whose push backend is firebase-admin's real FCM code pointed at fake FCM
servers on loopback (one per worker, so each push is attributed to the worker that sent it).

  redis     `redis-cli shutdown nosave` mid-run: HTTP keeps serving, /readyz says degraded, an
            acknowledgement posted meanwhile is stored, and a phone that reconnects with
            ?last_event_id=N afterwards gets the event it missed. Redis is started again whatever
            happens, and checked with `redis-cli ping`.
  worker    --nudges due nudges with devices, delivered by the workers; one is SIGKILLed while it
            is sending; once its lease runs out the other finishes. Every nudge must reach every
            device, recorded once per (nudge, device); pushes a device got twice are counted.
  database  `pg_ctlcluster ... restart` while HTTP load runs: how many requests failed, how soon
            requests succeed again, whether creations stayed exactly-once and the workers survived.
            PostgreSQL is started again whatever happens (pg_isready).

The lease (nudges.delivery.LEASE, 5 minutes) is shortened to --lease-seconds only inside the
worker processes this script starts. Every wait is bounded.
"""

import argparse
import asyncio
import glob
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE", "humble_faults")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")

import _load_client as lc  # noqa: E402
import httpx  # noqa: E402
import websockets  # noqa: E402
from _servers import percentile, raise_file_limit  # noqa: E402

REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]
RESULTS: list[str] = []


def result(ok: bool, label: str, detail: str) -> bool:
    line = lc.summary_line(ok, label, detail)
    RESULTS.append(line)
    print(line, flush=True)
    return ok


def note(text: str) -> None:
    print(f"  {text}", flush=True)


async def orm(function):
    """Run an ORM function in a thread with a fresh connection (the database may have restarted)."""

    def run():
        from django.db import connections

        connections.close_all()
        try:
            return function()
        finally:
            connections.close_all()

    return await asyncio.to_thread(run)


# Services


def redis_answers() -> bool:
    try:
        out = subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        return False
    return out.stdout.strip() == "PONG"


def ensure_redis() -> bool:
    """Start Redis if it does not answer; True once it answers PONG (bounded)."""
    if redis_answers():
        return True
    subprocess.run(REDIS_START, check=False, timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if redis_answers():
            return True
        time.sleep(0.2)
    return False


def postgres_answers() -> bool:
    try:
        return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def postgres_cluster() -> tuple[str, str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return version, "main"


def ensure_postgres() -> bool:
    if postgres_answers():
        return True
    version, name = postgres_cluster()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"], check=False, timeout=120)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if postgres_answers():
            return True
        time.sleep(0.5)
    return False


# Fake FCM on loopback: counts every push by (token, nudge id), a little slow on purpose


class FakeFcm:
    def __init__(self, *, delay: float, concurrency: int):
        self.received: Counter = Counter()
        self.count = 0
        self.lock = threading.Lock()
        gate = threading.BoundedSemaphore(concurrency)
        fcm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                message = body.get("message", {})
                with gate:
                    time.sleep(delay)
                    with fcm.lock:
                        fcm.received[(message.get("token"), int(message.get("data", {}).get("nudge_id", 0)))] += 1
                        fcm.count += 1
                        number = fcm.count
                reply = json.dumps({"name": f"projects/faultbench/messages/{number}"}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender died after sending its request (the SIGKILL): FCM still has the message

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024

            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)  # a sender that died mid-request is expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def fault_worker(port: int, lease_seconds: float, marker_dir: str) -> None:
    """A `run_worker` process whose pushes go through firebase-admin to the fake FCM on `port`,
    with a shorter lease, and a marker file present while it is inside a send."""
    os.environ["FIREBASE_PROJECT_ID"] = "faultbench"
    os.environ["PUSH_BACKEND"] = "nudges.push.FcmBackend"
    lc._servers.setup_django(create=False)
    from django.core.management import call_command
    from firebase_admin import messaging
    from requests.adapters import HTTPAdapter

    import nudges.delivery
    from accounts.firebase import firebase_app
    from nudges.push import FcmBackend

    nudges.delivery.LEASE = timedelta(seconds=lease_seconds)  # this process only
    service = messaging._get_messaging_service(firebase_app())
    service._fcm_url = f"http://127.0.0.1:{port}/v1/projects/faultbench/messages:send"
    service._client.session.mount("http://127.0.0.1", HTTPAdapter(pool_connections=10, pool_maxsize=500))
    marker = Path(marker_dir) / f"sending-{os.getpid()}"
    original = FcmBackend.send

    def send(self, pushes):
        marker.write_text(str(len(pushes)))
        try:
            return original(self, pushes)
        finally:
            marker.unlink(missing_ok=True)

    FcmBackend.send = send
    call_command("run_worker")


# Small clients


async def post_ack(client, stats, sender: lc.Account, base: str, recipient_id: int, name: str):
    client_id = str(uuid.uuid4())
    body = {
        "recipient": recipient_id,
        "message": "Thanks for stepping in.",
        "behaviour": "helped",
        "visibility": "private",
        "client_id": client_id,
    }
    began = time.perf_counter()
    response = await lc.request(client, stats, sender, "POST", base, "/api/v1/acknowledgements", name, body=body)
    took = (time.perf_counter() - began) * 1000
    return response, client_id, took


class Listener:
    """One event-stream connection, no automatic reconnect: frames are collected as they come."""

    def __init__(self, ws_base: str, token: str, after: int):
        self.url = f"{ws_base}/ws/v1/events/?last_event_id={after}"
        self.token = token
        self.frames: list[dict] = []
        self.arrivals: dict[int, float] = {}
        self.closed_code = None
        self.ws = None
        self.task = None

    async def open(self) -> bool:
        try:
            self.ws = await websockets.connect(
                self.url, additional_headers={"Authorization": f"Bearer {self.token}"}, open_timeout=10, close_timeout=2
            )
        except Exception as error:  # noqa: BLE001  (reported: what a phone would see)
            self.closed_code = f"connect failed: {type(error).__name__}: {str(error)[:80]}"
            return False
        self.task = asyncio.get_running_loop().create_task(self._read())
        return True

    async def _read(self):
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                self.frames.append(frame)
                if frame.get("type") == "acknowledgement.received":
                    self.arrivals.setdefault(frame["data"]["acknowledgement_id"], time.monotonic())
        except websockets.exceptions.ConnectionClosed:
            pass
        rcvd = self.ws.protocol.close_rcvd
        self.closed_code = rcvd.code if rcvd else "closed without a close frame"

    @property
    def is_open(self) -> bool:
        return self.task is not None and not self.task.done()

    def ack_ids(self) -> list[int]:
        return [f["data"]["acknowledgement_id"] for f in self.frames if f.get("type") == "acknowledgement.received"]

    def last_id(self, default: int) -> int:
        ids = [f["id"] for f in self.frames if "id" in f]
        return max(ids) if ids else default

    async def wait_for_ack(self, ack_id: int, seconds: float, since: float | None = None) -> float | None:
        """Milliseconds from `since` (default: now) to the event's arrival, or None if it did not come."""
        began = time.monotonic() if since is None else since
        while time.monotonic() - began < seconds:
            if ack_id in self.arrivals:
                return (self.arrivals[ack_id] - began) * 1000
            await asyncio.sleep(0.02)
        return None

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            await asyncio.wait_for(self.task, timeout=10)


def last_number(user_id: int) -> int:
    from events.models import EventStream

    return EventStream.objects.filter(user_id=user_id).values_list("last_number", flat=True).first() or 0


def acknowledgement_rows(client_id: str) -> int:
    from acknowledgements.models import Acknowledgement

    return Acknowledgement.objects.filter(client_id=client_id).count()


# a) Redis stopped and started


async def scenario_redis(bases, accounts, args) -> None:
    print("\n== a) Redis stopped and started mid-run", flush=True)
    errors = lc.LogErrors(args.log_dir)
    stats = lc.Stats()
    client = lc.new_http_client(50)
    sender, recipient = accounts[1], accounts[2]  # member1 -> member2
    ws = [b.replace("http", "ws", 1) for b in bases]
    listeners = []
    try:
        start = await orm(lambda: last_number(recipient.user_id))
        phone = Listener(ws[1], recipient.access, start)  # will reconnect after the outage
        survivor = Listener(ws[0], recipient.access, start)  # held open across the outage, never reconnected
        listeners += [phone, survivor]
        await phone.open()
        await survivor.open()
        await asyncio.sleep(0.5)
        posted = time.monotonic()
        before, _, _ = await post_ack(client, stats, sender, bases[0], recipient.user_id, "POST ack (before)")
        before_id = before.json()["id"]
        got = [await phone.wait_for_ack(before_id, 10, posted), await survivor.wait_for_ack(before_id, 10, posted)]
        note(
            f"before the outage: acknowledgement {before_id} reached both streams: {got[0] is not None and got[1] is not None}"
        )
        seen_before = phone.last_id(start)

        # Down.
        stopped = subprocess.run(
            ["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True, text=True, timeout=15
        )
        down_at = time.monotonic()
        note(
            f"redis-cli shutdown nosave: exit {stopped.returncode} {stopped.stdout.strip() or stopped.stderr.strip()}; "
            f"redis-cli ping now: {'PONG' if redis_answers() else 'no answer'}"
        )
        today, ready, health = Counter(), [], Counter()
        today_ms = []
        during_ack = None
        sign_in_status = refresh_status = ws_attempt = None
        deadline = down_at + args.redis_down_seconds
        rounds = 0
        while time.monotonic() < deadline and rounds < 1000:
            rounds += 1
            for base in bases:
                began = time.perf_counter()
                try:
                    response = await client.get(
                        f"{base}/api/v1/today", headers={"Authorization": f"Bearer {sender.access}"}
                    )
                    today[response.status_code] += 1
                except httpx.HTTPError as error:
                    today[type(error).__name__] += 1
                today_ms.append((time.perf_counter() - began) * 1000)
                try:
                    response = await client.get(f"{base}/readyz")
                    ready.append((response.status_code, response.json().get("status"), response.json().get("checks")))
                except (httpx.HTTPError, ValueError) as error:
                    ready.append((type(error).__name__, None, None))
                try:
                    health[(await client.get(f"{base}/healthz")).status_code] += 1
                except httpx.HTTPError as error:
                    health[type(error).__name__] += 1
            if during_ack is None:
                response, client_id, took = await post_ack(
                    client, stats, sender, bases[0], recipient.user_id, "POST ack (Redis down)"
                )
                status = response.status_code if response is not None else "transport"
                during_ack = (
                    status,
                    client_id,
                    took,
                    response.json().get("id") if response is not None and status in (200, 201) else None,
                )
            if sign_in_status is None:
                try:
                    answer = await client.post(
                        f"{bases[1]}/api/v1/auth/token",
                        json={"email": "member3@demo.test", "password": lc.DEMO_PASSWORD},
                    )
                    sign_in_status = answer.status_code
                except httpx.HTTPError as error:
                    sign_in_status = type(error).__name__
                holder = accounts[3]
                try:
                    answer = await client.post(
                        f"{bases[1]}/api/v1/auth/token/refresh", json={"refresh": holder.refresh}
                    )
                    refresh_status = answer.status_code
                    if answer.status_code == 200:
                        holder.access, holder.refresh = answer.json()["access"], answer.json()["refresh"]
                except httpx.HTTPError as error:
                    refresh_status = type(error).__name__
            if ws_attempt is None:
                attempt = Listener(ws[0], recipient.access, seen_before)
                opened = await attempt.open()
                if opened:
                    await asyncio.sleep(1.0)
                    ws_attempt = (
                        f"accepted, then {'still open' if attempt.is_open else f'closed with {attempt.closed_code}'}"
                    )
                    await attempt.close()
                else:
                    ws_attempt = attempt.closed_code
            await asyncio.sleep(0.5)
        outage_streams = {
            "phone": phone.closed_code if not phone.is_open else "open",
            "survivor": survivor.closed_code if not survivor.is_open else "open",
        }

        # Up again.
        subprocess.run(REDIS_START, check=False, timeout=30)
        up = ensure_redis()
        up_at = time.monotonic()
        ready_again = None
        while time.monotonic() - up_at < 60:
            statuses = []
            for base in bases:
                try:
                    statuses.append((await client.get(f"{base}/readyz")).status_code)
                except httpx.HTTPError:
                    statuses.append(None)
            if all(s == 200 for s in statuses):
                ready_again = time.monotonic() - up_at
                break
            await asyncio.sleep(0.5)
        note(
            f"Redis down for {up_at - down_at:.1f} s; redis-cli ping: {'PONG' if up else 'no answer'}; "
            f"/readyz 200 on both servers {f'{ready_again:.1f} s after' if ready_again is not None else 'not within 60 s'}"
        )

        ok_today = today.get(200, 0)
        result(
            ok_today > 0 and ok_today == sum(today.values()),
            "HTTP keeps serving while Redis is down",
            f"GET /api/v1/today: {dict(today)} (p50 {percentile(today_ms, 0.5):.0f} ms, p99 {percentile(today_ms, 0.99):.0f} ms); "
            f"/healthz {dict(health)}",
        )
        degraded = [r for r in ready if r[0] == 503 and r[1] == "degraded"]
        result(
            bool(ready) and len(degraded) == len(ready),
            "/readyz answers 503 degraded while Redis is down",
            f"{len(degraded)}/{len(ready)} answers were 503 degraded; e.g. {ready[0] if ready else None}",
        )
        status, client_id, took, during_id = during_ack
        stored = await orm(lambda: acknowledgement_rows(client_id))
        result(
            status == 201 and stored == 1,
            "an acknowledgement posted while Redis is down is stored",
            f"POST answered {status} in {took:.0f} ms; rows with its client_id: {stored}",
        )
        note(
            f"while down: sign-in (POST auth/token) answered {sign_in_status}, token refresh answered {refresh_status}; "
            f"a new event-stream connection: {ws_attempt}; "
            f"streams open before the outage: {outage_streams}"
        )

        # The phone comes back with the last id it saw (retrying as a phone does) and must get the missed event.
        await phone.close()
        back, attempts, failures = None, 0, []
        reconnect_began = time.monotonic()
        while attempts < 15 and time.monotonic() - reconnect_began < 60:
            attempts += 1
            candidate = Listener(ws[1], recipient.access, seen_before)
            opening = time.monotonic()
            if await candidate.open():
                await asyncio.sleep(0.3)
                if candidate.is_open:
                    back = candidate
                    break
                failures.append(f"closed {candidate.closed_code}")
            else:
                failures.append(candidate.closed_code)
            await asyncio.sleep(1.0)
        if back is not None:
            listeners.append(back)
        note(
            f"reconnect after Redis is back: {'open' if back else 'FAILED'} after {attempts} attempt(s) in "
            f"{time.monotonic() - reconnect_began:.1f} s; failed attempts: {failures}"
        )
        replayed = await back.wait_for_ack(during_id, 10, opening) if back is not None and during_id else None
        result(
            replayed is not None,
            "a phone reconnecting with ?last_event_id=N gets the event it missed",
            f"reconnected with last_event_id={seen_before}: "
            + (
                f"acknowledgement {during_id} replayed {replayed:.0f} ms after the connect began"
                if replayed is not None
                else f"not received ({back.closed_code if back else 'no connection'}, frames {back.frames[:3] if back else []})"
            ),
        )
        if back is None:
            back = Listener(ws[1], recipient.access, seen_before)  # so the next check reports plainly

        posted = time.monotonic()
        after, _, _ = await post_ack(client, stats, sender, bases[0], recipient.user_id, "POST ack (after)")
        after_id = after.json()["id"] if after is not None and after.status_code == 201 else None
        live = await back.wait_for_ack(after_id, 10, posted) if after_id else None
        result(
            live is not None,
            "live events flow again after Redis is back (across both Daphne processes)",
            f"acknowledgement {after_id} posted on one process reached the stream on the other "
            + (f"{live:.0f} ms after the POST was sent" if live is not None else "NOT within 10 s"),
        )
        if survivor.is_open:
            seen = await survivor.wait_for_ack(after_id, 10, posted) if after_id else None
            result(
                seen is not None,
                "a stream held open across the outage still gets live events (or is closed so the phone reconnects)",
                "it stayed open and "
                + (
                    f"got the new acknowledgement in {seen:.0f} ms"
                    if seen is not None
                    else f"did NOT get acknowledgement {after_id} within 10 s while its heartbeats went on "
                    f"(frames since: {[f.get('type') for f in survivor.frames][-4:]})"
                ),
            )
        else:
            result(
                True,
                "a stream held open across the outage still gets live events (or is closed so the phone reconnects)",
                f"the server closed it during the outage ({survivor.closed_code}), so a phone reconnects and replays",
            )
    finally:
        for listener in listeners:
            try:
                await listener.close()
            except Exception:  # noqa: BLE001  closing what may already be gone
                pass
        await client.aclose()
        up = await asyncio.to_thread(ensure_redis)
        print(f"  Redis running at the end: redis-cli ping -> {'PONG' if up else 'NO ANSWER'}", flush=True)
        if not up:
            result(False, "Redis restarted", "redis-cli ping does not answer")
        print("  " + errors.summary().replace("\n", "\n  "), flush=True)


# b) A worker killed with SIGKILL mid-delivery


def make_backlog(count: int):
    from datetime import time as clock

    from django.utils import timezone

    from accounts.models import User
    from nudges.models import Device, Kind, Nudge, Preferences

    # No organisation: the planner leaves these people alone, so the only nudges are these.
    users = User.objects.bulk_create(
        (User(email=f"fault{n}@faults.test", time_zone="UTC", password="!") for n in range(count)), batch_size=2000
    )
    people = [u.pk for u in users]
    Preferences.objects.bulk_create(
        (Preferences(user_id=pk, quiet_start=clock(0), quiet_end=clock(0)) for pk in people), batch_size=2000
    )
    devices = [Device(user_id=pk, token=f"fault-token-{pk}-a", platform="android") for pk in people]
    devices += [Device(user_id=pk, token=f"fault-token-{pk}-b", platform="ios") for pk in people[::10]]  # some have two
    Device.objects.bulk_create(devices, batch_size=2000)
    due = timezone.now() - timedelta(minutes=1)
    Nudge.objects.bulk_create(
        (Nudge(user_id=pk, kind=Kind.SEEN, dedupe_key=f"faultbench:{pk}", due_at=due) for pk in people), batch_size=2000
    )
    return len(people), len(devices)


def backlog_state():
    from nudges.models import Nudge

    return Counter(Nudge.objects.filter(dedupe_key__startswith="faultbench:").values_list("status", flat=True))


def scenario_worker(workers, fcms, marker_dir: Path, args) -> None:
    print("\n== b) a worker killed with SIGKILL mid-delivery", flush=True)
    errors = lc.LogErrors(args.log_dir)
    from django.db import connections

    from events.models import Event
    from nudges.models import DeliveryAttempt, Device, Nudge
    from nudges.tasks import deliver_nudges

    connections.close_all()
    nudges, devices = make_backlog(args.nudges)
    before = [fcm.count for fcm in fcms]
    for _ in range(-(-args.nudges // 500) + 2):
        deliver_nudges.enqueue()
    note(
        f"{nudges} due nudges for {nudges} people with {devices} devices; delivery tasks enqueued; "
        f"fake FCM: {args.fcm_delay * 1000:.0f} ms a push, {args.fcm_concurrency} at a time per worker"
    )

    by_pid = {w.pid: index for index, w in enumerate(workers)}
    victim = None
    started: dict[int, int] = {}  # pid -> its fake FCM's count when its current send was first seen
    batch = 0
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and victim is None:
        sending = {int(marker.name.split("-")[1]): marker for marker in marker_dir.glob("sending-*")}
        started = {pid: count for pid, count in started.items() if pid in sending}
        for pid, marker in sending.items():
            index = by_pid.get(pid)
            if index is None or workers[index].poll() is not None:
                continue
            started.setdefault(pid, fcms[index].count)
            try:
                batch = int(marker.read_text() or 0)
            except (OSError, ValueError):
                continue
            if fcms[index].count - started[pid] >= min(args.kill_after, max(1, batch // 3)):
                victim = index
                break
        time.sleep(0.01)
    if victim is None:
        result(False, "worker killed mid-delivery", "no worker was seen sending within 180 s")
        return
    process = workers[victim]
    os.kill(process.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    process.wait(timeout=10)
    pushed_by_victim = fcms[victim].count - before[victim]
    in_batch = fcms[victim].count - started[process.pid]
    still_marked = (marker_dir / f"sending-{process.pid}").exists()
    note(
        f"SIGKILL worker {process.pid} (worker {victim}) after it pushed {in_batch} of a batch of "
        f"{batch} ({pushed_by_victim} pushes by it in all); it was inside send_each: {still_marked}; state then: {dict(backlog_state())}"
    )

    # The lease runs out, the surviving worker's clock enqueues delivery (every 20 s) and it finishes.
    finish_by = killed_at + args.lease_seconds + 180
    done_at = None
    last_report = 0.0
    while time.monotonic() < finish_by:
        state = backlog_state()
        if not state.get("pending"):
            done_at = time.monotonic()
            break
        if time.monotonic() - last_report > 15:
            last_report = time.monotonic()
            note(f"{time.monotonic() - killed_at:.0f} s after the kill: {dict(state)}")
        time.sleep(1)
    state = backlog_state()
    note(
        f"after the kill: {dict(state)}"
        + (f", all handled {done_at - killed_at:.0f} s after the kill" if done_at else " (not finished)")
    )

    bench = Nudge.objects.filter(dedupe_key__startswith="faultbench:")
    nudge_of = dict(bench.values_list("user_id", "pk"))
    token_of = {}
    expected = set()
    for device_id, user_id, token in Device.objects.filter(user_id__in=list(nudge_of), active=True).values_list(
        "pk", "user_id", "token"
    ):
        expected.add((nudge_of[user_id], device_id))
        token_of[device_id] = token
    sent_rows = list(
        DeliveryAttempt.objects.filter(nudge__in=bench, outcome="sent").values_list("nudge_id", "device_id")
    )
    sent = Counter(sent_rows)
    received = Counter()
    for fcm in fcms:
        received.update(fcm.received)
    lost_records = [pair for pair in expected if pair not in sent]
    doubled_records = [pair for pair, count in sent.items() if count > 1]
    not_pushed = [pair for pair in expected if received[(token_of[pair[1]], pair[0])] == 0]
    pushed_twice = {
        pair: received[(token_of[pair[1]], pair[0])] for pair in expected if received[(token_of[pair[1]], pair[0])] > 1
    }
    in_app = Counter(
        e["nudge_id"]
        for e in Event.objects.filter(
            type="nudge", data__nudge_id__in=list(bench.values_list("pk", flat=True))
        ).values_list("data", flat=True)
    )
    all_sent = state.get("sent", 0) == nudges and done_at is not None
    result(
        all_sent and not lost_records and not not_pushed,
        "no nudge lost after a worker was SIGKILLed mid-delivery",
        f"{state.get('sent', 0)}/{nudges} nudges sent; {len(expected)} (nudge, device) pairs due: "
        f"{len(lost_records)} without a recorded success, {len(not_pushed)} never reached the fake FCM",
    )
    result(
        not doubled_records and len(sent_rows) == len(expected),
        "recorded exactly once per (nudge, device)",
        f"{len(sent_rows)} 'sent' delivery attempts for {len(expected)} pairs, {len(doubled_records)} pairs recorded twice",
    )
    accepted_from_victim = fcms[victim].count - before[victim]
    result(
        not pushed_twice,
        "each device got each nudge exactly once (pushes counted at the fake FCM)",
        f"{sum(received.values())} pushes received for {len(expected)} pairs: {len(pushed_twice)} pairs got it twice. "
        f"At the SIGKILL the fake FCM had answered {in_batch} pushes of the victim's batch of {batch}; counting the "
        f"requests it had already put on the wire, the fake FCM accepted {accepted_from_victim} pushes from it in all",
    )
    wrong_in_app = {k: v for k, v in in_app.items() if v != 1}
    result(
        len(in_app) == nudges and not wrong_in_app,
        "in-app copy (the `nudge` event) exactly once per nudge",
        f"{len(in_app)} nudges with an event, {len(wrong_in_app)} with more than one",
    )
    if pushed_twice:
        note(
            "why: a worker records its pushes (DeliveryAttempt) in one transaction after send_each returns for the whole "
            "batch; pushes FCM accepted before the SIGKILL have no record, so the worker that takes the nudge after the "
            "lease sends them again. FCM has no idempotency key; the per-kind collapse key makes the second push replace "
            "the first on the phone if it is still unread."
        )
    print("  " + errors.summary().replace("\n", "\n  "), flush=True)


# c) The database restarted while HTTP load runs


async def scenario_database(bases, accounts, workers, args) -> None:
    print("\n== c) PostgreSQL restarted while HTTP load runs", flush=True)
    errors = lc.LogErrors(args.log_dir)
    sampler = lc.PostgresConnections(lc._servers.DATABASE, every=0.5)
    sampler.start()
    stats = lc.Stats()
    client = lc.new_http_client(100)
    timeline: list[tuple[float, str, object]] = []
    created: dict[str, list] = {}
    began = time.monotonic()
    stop_at = began + args.db_load_seconds
    restart_window = {}

    async def phone(index: int):
        account = accounts[index % len(accounts)]
        base = bases[index % len(bases)]
        rng = random.Random(index)
        loops = 0
        while time.monotonic() < stop_at and loops < 10_000:
            loops += 1
            response = await lc.request(client, stats, account, "GET", base, "/api/v1/today", "GET /api/v1/today")
            timeline.append(
                (
                    time.monotonic() - began,
                    "GET today",
                    response.status_code if response is not None else "transport",
                    base,
                )
            )
            client_id = str(uuid.uuid4())
            body = {"body": "Restart-proof, I hope.", "mood": 3, "client_id": client_id}
            statuses = created.setdefault(client_id, [account.user_id])
            for attempt in range(4):  # a phone retries a failed creation with the same client_id
                response = await lc.request(
                    client,
                    stats,
                    account,
                    "POST",
                    base,
                    "/api/v1/reflections",
                    "POST /api/v1/reflections" if attempt == 0 else "POST /api/v1/reflections (retry)",
                    body=body,
                )
                status = response.status_code if response is not None else "transport"
                statuses.append(status)
                timeline.append((time.monotonic() - began, "POST reflection", status, base))
                if (
                    status in (200, 201)
                    or (isinstance(status, int) and 400 <= status < 500)
                    or time.monotonic() >= stop_at
                ):
                    break
                await asyncio.sleep(1.0)
            await asyncio.sleep(rng.uniform(0.2, 0.6))

    async def readiness():
        while time.monotonic() < stop_at:
            try:
                response = await client.get(f"{bases[0]}/readyz")
                timeline.append((time.monotonic() - began, "readyz", response.status_code, bases[0]))
            except httpx.HTTPError:
                timeline.append((time.monotonic() - began, "readyz", "transport", bases[0]))
            await asyncio.sleep(0.5)

    async def restart():
        await asyncio.sleep(args.db_restart_after)
        version, name = postgres_cluster()
        restart_window["start"] = time.monotonic() - began
        out = await asyncio.to_thread(
            subprocess.run,
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],
            capture_output=True,
            text=True,
            timeout=180,
        )
        restart_window["end"] = time.monotonic() - began
        restart_window["rc"] = out.returncode
        while not await asyncio.to_thread(postgres_answers) and time.monotonic() - began < args.db_load_seconds + 120:
            await asyncio.sleep(0.2)
        restart_window["ready"] = time.monotonic() - began

    alive_before = [w.poll() is None for w in workers]
    try:
        await asyncio.gather(restart(), readiness(), *(phone(i) for i in range(args.db_phones)))
    finally:
        await client.aclose()
        note(sampler.finish())
        up = await asyncio.to_thread(ensure_postgres)
        print(
            f"  PostgreSQL up at the end: pg_isready -> {'accepting connections' if up else 'NOT ANSWERING'}",
            flush=True,
        )
        if not up:
            result(False, "PostgreSQL restarted", "pg_isready does not answer")

    requests = [t for t in timeline if t[1] != "readyz"]
    failed = [t for t in requests if not (isinstance(t[2], int) and t[2] < 400)]
    start, end, ready = restart_window.get("start", 0), restart_window.get("end", 0), restart_window.get("ready", 0)
    note(
        f"pg_ctlcluster restart ran from {start:.1f} s to {end:.1f} s (exit {restart_window.get('rc')}); "
        f"pg_isready again at {ready:.1f} s; {args.db_phones} phones, {len(requests)} requests in {args.db_load_seconds:.0f} s"
    )
    if failed:
        note(
            f"failed requests: {len(failed)} ({dict(Counter(str(t[2]) for t in failed))}), "
            f"from {failed[0][0]:.1f} s to {failed[-1][0]:.1f} s"
        )
    phases = Counter()
    for t in failed:
        phases[
            "before the restart"
            if t[0] < start
            else "during it (to 5 s after pg_isready)"
            if t[0] < ready + 5
            else "afterwards"
        ] += 1
    note(
        f"failed requests by phase: before the restart {phases['before the restart']}, during it (to 5 s after "
        f"pg_isready) {phases['during it (to 5 s after pg_isready)']}, afterwards {phases['afterwards']}"
    )
    tail = [t for t in requests if t[0] >= ready + 5]
    tail_failed = [t for t in tail if not (isinstance(t[2], int) and t[2] < 400)]
    first_ok = {}
    for base in bases:
        first_ok[base] = next(
            (t[0] - ready for t in requests if t[3] == base and t[0] >= ready and isinstance(t[2], int) and t[2] < 400),
            None,
        )
    result(
        all(v is not None and v < 5 for v in first_ok.values()),
        "requests succeed again after the database restart (Django reconnects)",
        f"{phases['during it (to 5 s after pg_isready)']} requests failed during the restart; first success after pg_isready on each "
        f"Daphne process: {', '.join(f'{v:.1f} s' if v is not None else 'never' for v in first_ok.values())}",
    )
    result(
        bool(tail) and not tail_failed,
        "no request fails once PostgreSQL is back (from 5 s after pg_isready)",
        f"{len(tail) - len(tail_failed)}/{len(tail)} succeeded; failures then: {dict(Counter(str(t[2]) for t in tail_failed))}"
        + (" (see the server log summary below for why)" if tail_failed else ""),
    )
    ready_codes = Counter(str(t[2]) for t in timeline if t[1] == "readyz")
    note(f"/readyz during the run: {dict(ready_codes)}")

    def stored():
        from reflections.models import Reflection

        return Counter(
            str(c) for c in Reflection.objects.filter(client_id__in=list(created)).values_list("client_id", flat=True)
        )

    rows = await orm(stored)
    answered = [cid for cid, s in created.items() if any(x in (200, 201) for x in s[1:])]
    unresolved = [cid for cid in created if cid not in answered]
    missing = [cid for cid in answered if rows[cid] != 1]
    doubled = [cid for cid, count in rows.items() if count > 1]
    result(
        not missing and not doubled,
        "reflections created across the restart are stored exactly once",
        f"{len(answered)} answered 2xx (after retries with the same client_id), {len(missing)} not stored exactly once, "
        f"{len(doubled)} stored twice; {len(unresolved)} never answered 2xx ({sum(1 for c in unresolved if rows[c])} of them stored)",
    )

    # Workers: did they live through it, and do they still work?
    await asyncio.sleep(3)
    alive_after = [w.poll() is None for w in workers]
    codes = [w.returncode for w in workers]
    died = [i for i, (a, b) in enumerate(zip(alive_before, alive_after)) if a and not b]

    def one_more_nudge():
        from django.utils import timezone

        from accounts.models import User
        from nudges.models import Device, Kind, Nudge
        from nudges.tasks import deliver_nudges

        user = User.objects.create(
            email=f"after-restart-{uuid.uuid4().hex[:8]}@faults.test", time_zone="UTC", password="!"
        )
        from datetime import time as clock

        from nudges.models import Preferences

        Preferences.objects.create(user=user, quiet_start=clock(0), quiet_end=clock(0))
        Device.objects.create(user=user, token=f"after-restart-{user.pk}", platform="android")
        nudge = Nudge.objects.create(
            user=user, kind=Kind.SEEN, dedupe_key=f"after-restart:{user.pk}", due_at=timezone.now()
        )
        deliver_nudges.enqueue()
        return nudge.pk

    def status_of(pk):
        from nudges.models import Nudge

        return Nudge.objects.get(pk=pk).status

    delivered_in = None
    if any(alive_after):
        pk = await orm(one_more_nudge)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60:
            if await orm(lambda: status_of(pk)) == "sent":
                delivered_in = time.monotonic() - t0
                break
            await asyncio.sleep(1)
    result(
        not died and delivered_in is not None,
        "workers live through the database restart and keep delivering",
        f"workers [fake-FCM worker 0, fake-FCM worker 1, plain manage.py run_worker] alive before {alive_before}, "
        f"after {alive_after} (exit codes {codes}); a nudge made after the restart "
        + (f"was delivered in {delivered_in:.1f} s" if delivered_in is not None else "was NOT delivered within 60 s"),
    )
    print("  " + errors.summary().replace("\n", "\n  "), flush=True)


# The run


def stock_worker(args):
    """A plain `manage.py run_worker` (console push backend), as a deployment would run it."""
    log = open(args.log_dir / "worker-stock.log", "w")
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker"],
        cwd=lc.ROOT,
        env={**os.environ, **lc.scaled_env()},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def run_async(bases, workers, fcms, marker_dir, args):
    stats = lc.Stats()
    client = lc.new_http_client(50)
    try:
        accounts = await lc.prepare_accounts(client, stats, bases)
    finally:
        await client.aclose()
    scenarios = set(args.scenarios.split(","))
    if "redis" in scenarios:
        await scenario_redis(bases, accounts, args)
    if "worker" in scenarios:
        await asyncio.to_thread(scenario_worker, workers, fcms, marker_dir, args)
    if "database" in scenarios:
        plain = stock_worker(args)
        await asyncio.sleep(3)
        try:
            await scenario_database(bases, accounts, [*workers, plain], args)
        finally:
            if plain.poll() is None:
                plain.terminate()
            try:
                plain.wait(timeout=20)
            except subprocess.TimeoutExpired:
                plain.kill()
                plain.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="redis,worker,database")
    parser.add_argument("--nudges", type=int, default=2000)
    parser.add_argument("--lease-seconds", type=float, default=30, help="the lease inside the workers started here")
    parser.add_argument("--fcm-delay", type=float, default=0.05, help="seconds the fake FCM takes per push")
    parser.add_argument(
        "--fcm-concurrency", type=int, default=10, help="pushes the fake FCM handles at once (per worker)"
    )
    parser.add_argument("--kill-after", type=int, default=150, help="pushes into a batch before the SIGKILL")
    parser.add_argument("--redis-down-seconds", type=float, default=12)
    parser.add_argument("--db-phones", type=int, default=20)
    parser.add_argument("--db-load-seconds", type=float, default=45)
    parser.add_argument("--db-restart-after", type=float, default=10)
    parser.add_argument("--fault-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fcm-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--marker-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fault_worker:
        fault_worker(args.fcm_port, args.lease_seconds, args.marker_dir)
        return
    if not set(args.scenarios.split(",")) <= {"redis", "worker", "database"}:
        parser.error("--scenarios: redis, worker, database")
    if not 1 <= args.nudges <= 100_000 or not 5 <= args.lease_seconds <= 600 or not 3 <= args.redis_down_seconds <= 120:
        parser.error("--nudges 1..100000, --lease-seconds 5..600, --redis-down-seconds 3..120")
    if os.geteuid() != 0:
        parser.error("stopping and starting Redis and PostgreSQL needs root")
    raise_file_limit()
    if not (ensure_redis() and ensure_postgres()):
        sys.exit("Redis or PostgreSQL is not running")

    log_dir = args.log_dir = Path(tempfile.mkdtemp(prefix="humble-faults-"))
    marker_dir = log_dir / "markers"
    marker_dir.mkdir()
    fcms = [FakeFcm(delay=args.fcm_delay, concurrency=args.fcm_concurrency) for _ in range(2)]
    try:
        lc.prepare_database(demo=True)
        commands = [
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--fault-worker",
                "--fcm-port",
                str(fcm.port),
                "--lease-seconds",
                str(args.lease_seconds),
                "--marker-dir",
                str(marker_dir),
            ]
            for fcm in fcms
        ]
        with lc.scaled_servers(daphnes=2, worker_commands=commands, log_dir=log_dir) as (servers, workers):
            print(
                f"setup: PostgreSQL ({lc._servers.DATABASE}) + Redis ({lc._servers.REDIS_URL}), Daphne on "
                f"{', '.join(a for a, _ in servers)}, run_worker pids {[w.pid for w in workers]} "
                f"(lease {args.lease_seconds:.0f} s, fake FCM on ports {[f.port for f in fcms]}); logs in {log_dir}",
                flush=True,
            )
            time.sleep(2)
            asyncio.run(run_async([f"http://{a}" for a, _ in servers], workers, fcms, marker_dir, args))
    finally:
        for fcm in fcms:
            fcm.close()
        redis_up, postgres_up = ensure_redis(), ensure_postgres()
        print(
            f"\nat the end: redis-cli ping {'PONG' if redis_up else 'NO ANSWER'}; pg_isready "
            f"{'accepting connections' if postgres_up else 'NOT ANSWERING'}"
        )
        tracebacks = sum(
            Path(p).read_text(errors="replace").count("Traceback") for p in glob.glob(str(log_dir / "*.log"))
        )
        print(f"server and worker logs: {tracebacks} tracebacks in {log_dir}")
    print("\nsummary")
    for line in RESULTS:
        print(f"  {line}")
    sys.exit(0 if RESULTS and all(line.startswith("PASS") for line in RESULTS) else 1)


if __name__ == "__main__":
    main()
