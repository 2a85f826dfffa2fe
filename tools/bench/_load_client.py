"""Shared by tools/bench/load.py and tools/bench/faults.py: a phone-like asyncio client (httpx + websockets)
with per-endpoint timings, and the scaled setup (a fresh PostgreSQL database with the demo, two
Daphne processes on the Redis channel layer, worker processes) on loopback.

Benchmarks print figures; they are not tests. Every loop here is bounded in count and time.
"""

import asyncio
import base64
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import _servers
import httpx
import websockets
from _servers import percentile

ROOT = _servers.ROOT
DEMO_PASSWORD = "humble-demo"
# The demo people who are in a team (the coach is in none): the lead of North and member1..17.
DEMO_PEOPLE = ["lead@demo.test", *(f"member{n}@demo.test" for n in range(1, 18))]
BEHAVIOURS = ["jumped_in", "spoke_up", "took_initiative", "helped", "saw_me", "shared_knowledge"]
LINES = [
    "I asked before I told. It helped.",
    "Let someone else speak first in the retro.",
    "Said 'leave it with me' and meant it.",
    "Noticed a colleague was tired and asked how they were.",
    "Admitted a mistake early; it was easier than I feared.",
]

# Unlimited enough for a benchmark: sign-in once per account (shared tokens), no daily caps.
SCALED_ENV = {
    "LOG_LEVEL": "WARNING",
    "SIGN_IN_RATE_PER_ACCOUNT": "1000/min",
    "SIGN_IN_RATE_PER_ADDRESS": "1000/min",
    "ACKNOWLEDGEMENT_DAILY_LIMIT": "1000000",
}


# Timings


class Stats:
    """Latencies and outcomes per endpoint name ("GET /api/v1/today")."""

    def __init__(self):
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.outcomes: dict[str, Counter] = defaultdict(Counter)

    def record(self, name: str, milliseconds: float, outcome) -> None:
        self.latency[name].append(milliseconds)
        self.outcomes[name][outcome] += 1

    @staticmethod
    def _kind(outcome) -> str:
        if outcome == "transport":
            return "transport"
        if outcome == 429:
            return "429"
        if outcome >= 500:
            return "5xx"
        if outcome >= 400:
            return "4xx"
        return "ok"

    def totals(self) -> Counter:
        totals = Counter()
        for outcomes in self.outcomes.values():
            for outcome, count in outcomes.items():
                totals[self._kind(outcome)] += count
                totals["requests"] += count
        return totals

    def table(self) -> str:
        header = f"{'endpoint':<52} {'count':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'2xx':>7} {'4xx':>5} {'429':>5} {'5xx':>5} {'transp':>6}"
        lines = [header, "-" * len(header)]
        for name in sorted(self.latency):
            values = self.latency[name]
            kinds = Counter()
            for outcome, count in self.outcomes[name].items():
                kinds[self._kind(outcome)] += count
            lines.append(
                f"{name:<52} {len(values):>7} {percentile(values, 0.5):>8.1f} {percentile(values, 0.99):>8.1f} "
                f"{max(values):>8.1f} {kinds['ok']:>7} {kinds['4xx']:>5} {kinds['429']:>5} {kinds['5xx']:>5} "
                f"{kinds['transport']:>6}"
            )
        return "\n".join(lines)

    def odd_statuses(self) -> dict[str, dict]:
        """Every 4xx/5xx/transport outcome per endpoint, to say what the errors were."""
        return {
            name: {str(k): v for k, v in outcomes.items() if k == "transport" or k >= 400}
            for name, outcomes in self.outcomes.items()
            if any(k == "transport" or k >= 400 for k in outcomes)
        }


# Accounts: each demo person signs in once; every phone using the account shares its tokens.


def _token_expiry(token: str) -> float:
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return float(json.loads(base64.urlsafe_b64decode(payload))["exp"])


@dataclass
class Account:
    email: str
    base: str  # the HTTP base it signs in and refreshes through
    access: str = ""
    refresh: str = ""
    user_id: int = 0
    team_ids: list = field(default_factory=list)
    teammates: list = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    refreshes: int = 0

    async def sign_in(self, client: httpx.AsyncClient, stats: Stats) -> None:
        for attempt in range(5):
            began = time.perf_counter()
            try:
                response = await client.post(
                    f"{self.base}/api/v1/auth/token", json={"email": self.email, "password": DEMO_PASSWORD}
                )
            except httpx.HTTPError:
                stats.record("POST /api/v1/auth/token", (time.perf_counter() - began) * 1000, "transport")
                await asyncio.sleep(1 + attempt)
                continue
            stats.record("POST /api/v1/auth/token", (time.perf_counter() - began) * 1000, response.status_code)
            if response.status_code == 200:
                self.access, self.refresh = response.json()["access"], response.json()["refresh"]
                return
            if response.status_code == 429:
                raise RuntimeError(f"sign-in of {self.email} refused by the rate limit (429): {response.text[:200]}")
            await asyncio.sleep(1 + attempt)
        raise RuntimeError(f"could not sign in {self.email}")

    async def refresh_if(self, client: httpx.AsyncClient, stats: Stats, *, failed_token: str | None = None) -> None:
        """Refresh once for everyone sharing the account: when the access token is about to
        expire, or when `failed_token` was refused and nobody has refreshed since."""
        async with self.lock:
            if failed_token is not None and failed_token != self.access:
                return  # another phone already refreshed it
            if failed_token is None and _token_expiry(self.access) - time.time() > 90:
                return
            began = time.perf_counter()
            try:
                response = await client.post(f"{self.base}/api/v1/auth/token/refresh", json={"refresh": self.refresh})
            except httpx.HTTPError:
                stats.record("POST /api/v1/auth/token/refresh", (time.perf_counter() - began) * 1000, "transport")
                return
            stats.record("POST /api/v1/auth/token/refresh", (time.perf_counter() - began) * 1000, response.status_code)
            if response.status_code == 200:
                self.access, self.refresh = response.json()["access"], response.json()["refresh"]
                self.refreshes += 1
            elif response.status_code == 401:
                await self.sign_in(client, stats)


async def request(client, stats, account: Account, method: str, base: str, path: str, name: str, *, body=None):
    """One API call as the account; a refused (expired) token is refreshed and the call made again
    once. Returns the response, or None on a transport error."""
    await account.refresh_if(client, stats)
    for attempt in range(2):
        token = account.access
        began = time.perf_counter()
        try:
            response = await client.request(
                method, f"{base}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError:
            stats.record(name, (time.perf_counter() - began) * 1000, "transport")
            return None
        stats.record(name, (time.perf_counter() - began) * 1000, response.status_code)
        if response.status_code == 401 and attempt == 0:
            await account.refresh_if(client, stats, failed_token=token)
            continue
        return response
    return response


def new_http_client(connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(30.0, connect=10.0),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


async def prepare_accounts(client, stats, bases: list[str], emails=DEMO_PEOPLE) -> list[Account]:
    """Sign each person in once (round-robin over the servers) and learn their id and teammates."""
    accounts = [Account(email=email, base=bases[index % len(bases)]) for index, email in enumerate(emails)]
    for account in accounts:  # one at a time: the per-address sign-in limit is per minute
        await account.sign_in(client, stats)

    async def learn(account: Account):
        me = (await request(client, stats, account, "GET", account.base, "/api/v1/me", "GET /api/v1/me")).json()
        account.user_id = me["id"]
        account.team_ids = [team["id"] for team in me["teams"]]
        mates = set()
        for team_id in account.team_ids:
            team = await request(
                client, stats, account, "GET", account.base, f"/api/v1/teams/{team_id}", "GET /api/v1/teams/{id}"
            )
            mates.update(member["id"] for member in team.json()["members"])
        account.teammates = sorted(mates - {account.user_id})

    await asyncio.gather(*(learn(account) for account in accounts))
    return accounts


# The event stream, as a phone holds it: reconnects with ?last_event_id= after any drop.


class Stream:
    """One phone's /ws/v1/events/ connection, kept open (reconnecting with the last id it saw)
    until stopped. Records every event id it got, duplicates, and when each acknowledgement
    event arrived."""

    def __init__(self, account: Account, ws_base: str, after: int, stats: Stats, client: httpx.AsyncClient):
        self.account, self.ws_base, self.stats, self.client = account, ws_base, stats, client
        self.cursor = after  # the last id seen (or the baseline)
        self.seen: Counter = Counter()
        self.out_of_order = 0
        self.resyncs = 0
        self.reconnects = 0
        self.close_codes: Counter = Counter()
        self.connect_failures = 0
        self.ack_arrivals: dict[int, float] = {}
        self.connected = asyncio.Event()
        self.stop = asyncio.Event()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _connect(self):
        began = time.perf_counter()
        token = self.account.access
        try:
            ws = await websockets.connect(
                f"{self.ws_base}/ws/v1/events/?last_event_id={self.cursor}",
                additional_headers={"Authorization": f"Bearer {token}"},
                open_timeout=20,
                max_queue=None,
                close_timeout=2,
            )
        except websockets.exceptions.InvalidStatus as refused:  # the upgrade answered with an HTTP error
            self.stats.record(
                "WS /ws/v1/events/ (connect)", (time.perf_counter() - began) * 1000, refused.response.status_code
            )
            return None
        except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
            self.stats.record("WS /ws/v1/events/ (connect)", (time.perf_counter() - began) * 1000, "transport")
            return None
        self.stats.record("WS /ws/v1/events/ (connect)", (time.perf_counter() - began) * 1000, 101)
        return ws

    async def _run(self) -> None:
        first = True
        while not self.stop.is_set():
            await self.account.refresh_if(self.client, self.stats)
            ws = await self._connect()
            if ws is None:
                self.connect_failures += 1
                await self._pause(1.0)
                continue
            if not first:
                self.reconnects += 1
            first = False
            self.connected.set()
            try:
                await self._read(ws)
            finally:
                await ws.close()
            if not self.stop.is_set():
                await self._pause(random.uniform(0.3, 1.0))

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _read(self, ws) -> None:
        stopping = asyncio.ensure_future(self.stop.wait())
        try:
            while True:
                receiving = asyncio.ensure_future(ws.recv())
                done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if receiving not in done:
                    receiving.cancel()
                    return
                try:
                    frame = json.loads(receiving.result())
                except websockets.exceptions.ConnectionClosed as closed:
                    code = closed.rcvd.code if closed.rcvd else None
                    self.close_codes[code] += 1
                    if code == 4401:
                        await self.account.refresh_if(self.client, self.stats, failed_token=self.account.access)
                    return
                self._frame(frame)
        finally:
            stopping.cancel()

    def _frame(self, frame: dict) -> None:
        if frame.get("type") == "resync_required":
            self.resyncs += 1
            return
        if "id" not in frame:
            return  # heartbeat, pong
        number = frame["id"]
        self.seen[number] += 1
        if number != self.cursor + 1 and self.seen[number] == 1:
            self.out_of_order += 1
        self.cursor = max(self.cursor, number)
        if frame["type"] == "acknowledgement.received":
            self.ack_arrivals.setdefault(frame["data"]["acknowledgement_id"], time.perf_counter())

    async def close(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, timeout=15)


# The bare baseline's URLs (tools/bench/baseline.py) on the servers the benchmarks start.
BASELINE_ENV = {"DJANGO_SETTINGS_MODULE": "baseline_settings", "PYTHONPATH": str(ROOT / "tools" / "bench")}


# The embedded setup, as `make run` serves: SQLite and the in-memory channel layer under a fresh
# var/, config.server on every core, one worker beside it.


@contextmanager
def embedded_server(*, log_dir: Path, web_processes: int | None = None):
    """A fresh var/ in log_dir, migrated, with the content pack and the demo; `python -m
    config.server` (WEB_PROCESSES from `web_processes`, else its default: every core) and one
    `run_worker`, with the baselines' URLs added. Yields (base URL, server Popen, worker Popen)."""
    from tests.daphne import free_port, raise_file_limit

    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(HUMBLE_VAR_DIR=str(log_dir / "var"), **SCALED_ENV, **BASELINE_ENV)
    if web_processes is not None:
        env["WEB_PROCESSES"] = str(web_processes)
    log = open(log_dir / "server.log", "w")
    for command in (["migrate", "--noinput"], ["load_content"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=log, stderr=log)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=raise_file_limit,
    )
    with worker_processes([[sys.executable, "manage.py", "run_worker"]], env=env, log_dir=log_dir) as workers:
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while not _answers(base):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"the server did not start (see {log_dir / 'server.log'})")
                time.sleep(0.3)
            yield base, server, workers[0]
        finally:
            server.terminate()
            server.wait(timeout=30)


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) these processes and their children used so far."""
    total = 0.0
    for pid in pids:
        children = Path(f"/proc/{pid}/task/{pid}/children")
        kids = [int(kid) for kid in children.read_text().split()] if children.exists() else []
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + cpu_seconds(kids)
    return total


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


# The scaled setup: PostgreSQL + Redis, two Daphne processes, workers, all on loopback.


def scaled_env() -> dict:
    return {
        "DATABASE_URL": _servers.DATABASE_URL,
        "REDIS_URL": _servers.REDIS_URL,
        "HUMBLE_VAR_DIR": os.environ["HUMBLE_VAR_DIR"],
        **SCALED_ENV,
    }


def prepare_database(*, demo: bool = True) -> None:
    """A fresh benchmark database with the schema, the content pack and (optionally) the demo,
    and Django set up against it in this process (for the checks afterwards)."""
    os.environ.setdefault("HUMBLE_VAR_DIR", tempfile.mkdtemp(prefix="humble-bench-var-"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _servers.setup_django()
    from django.core.management import call_command

    call_command("load_content", stdout=io.StringIO())
    if demo:
        call_command("seed_demo", stdout=io.StringIO())
    from django.db import connections

    connections.close_all()


@contextmanager
def worker_processes(commands: list[list[str]], *, env: dict, log_dir: Path):
    processes = []
    try:
        for index, command in enumerate(commands):
            log = open(log_dir / f"worker-{index}.log", "w")
            processes.append(
                subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
            )
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextmanager
def scaled_servers(*, daphnes: int = 2, worker_commands: list[list[str]] | None = None, log_dir: Path, extra_env=None):
    """Daphne processes and workers against the benchmark database (prepare_database first).
    Yields ([(host:port, pid)], [worker Popen])."""
    from tests.daphne import daphne_processes

    env = {**scaled_env(), **BASELINE_ENV, **(extra_env or {})}
    if worker_commands is None:
        worker_commands = [[sys.executable, "manage.py", "run_worker"]] * 2
    with daphne_processes(daphnes, env=env, log_dir=log_dir) as servers:
        with worker_processes(worker_commands, env=env, log_dir=log_dir) as workers:
            yield servers, workers


class PostgresConnections(threading.Thread):
    """Samples, once a second, how many connections PostgreSQL holds (to one database, and in
    all) on its own connection; reconnects if PostgreSQL restarts. Stop with .finish()."""

    def __init__(self, database: str, every: float = 1.0):
        super().__init__(daemon=True)
        self.database, self.every = database, every
        self.samples: list[tuple[int, int]] = []
        self.refused = 0  # samples where PostgreSQL refused our own connection
        self.max_connections = None
        self.halt = threading.Event()

    def run(self):
        import psycopg

        connection = None
        while not self.halt.wait(self.every):
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(
                        "host=127.0.0.1 user=postgres dbname=postgres connect_timeout=3", autocommit=True
                    )
                    self.max_connections = int(connection.execute("show max_connections").fetchone()[0])
                mine, everyone = connection.execute(
                    "select count(*) filter (where datname = %s), count(*) from pg_stat_activity where backend_type = 'client backend'",
                    (self.database,),
                ).fetchone()
                self.samples.append((mine, everyone))
            except psycopg.Error as error:
                if "too many clients" in str(error):
                    self.refused += 1
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()

    def finish(self) -> str:
        self.halt.set()
        self.join(timeout=10)
        if not self.samples:
            return "PostgreSQL connections: no sample"
        return (
            f"PostgreSQL client connections: to {self.database} max {max(m for m, _ in self.samples)}, "
            f"in all max {max(e for _, e in self.samples)} of max_connections {self.max_connections} "
            f"({len(self.samples)} samples; {self.refused} samples refused with 'too many clients')"
        )


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Detected|Closed\w*)): (.{0,110})", re.M)


_OVER_CAPACITY = re.compile(r"(\d+) of \d+ channels over capacity in group (\S+)")


class LogErrors:
    """The exceptions the server processes logged, by kind and message, from a point on."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.offsets = {path: path.stat().st_size for path in log_dir.glob("*.log")}

    def since(self) -> Counter:
        found = Counter()
        for path in self.log_dir.glob("*.log"):
            with open(path, errors="replace") as log:
                log.seek(self.offsets.get(path, 0))
                text = log.read()
            for dropped, _group in _OVER_CAPACITY.findall(text):
                found[
                    "channels_redis group_send over capacity: messages dropped for channels (INFO log lines, summed)"
                ] += int(dropped)
            for kind, message in _EXCEPTION_LINE.findall(text):
                # The driver's own errors come again wrapped by Django; the socket's under Redis's.
                if kind.startswith("psycopg.") or kind in ("ConnectionRefusedError", "CancelledError", "TimeoutError"):
                    continue
                found[kind + ": " + message.strip()] += 1
        return found

    def summary(self, top: int = 8) -> str:
        found = self.since()
        if not found:
            return "server logs: no exceptions"
        lines = [f"server logs: {sum(found.values())} exception lines ({self.log_dir}); most frequent:"]
        lines += [f"  {count:>5}  {text}" for text, count in found.most_common(top)]
        return "\n".join(lines)


def summary_line(ok: bool, label: str, detail: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}  {label}: {detail}"
