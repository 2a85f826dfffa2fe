"""Shared by the benchmarks: a throwaway PostgreSQL database, Django set up against it, and
Daphne processes on loopback. Benchmarks print figures; they are not tests."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.daphne import daphne_processes as _daphne_processes  # noqa: E402
from tests.daphne import raise_file_limit  # noqa: E402, F401

DATABASE = os.environ.get("BENCH_DATABASE", "humble_bench")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")


def setup_django(*, create: bool = True) -> None:
    """Django configured against the benchmark database (made afresh, with the schema, unless
    `create` is False: a worker process joining the one its parent made)."""
    if create:
        for statement in (f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement], check=True)
    os.environ.update(DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="config.settings")
    import django

    django.setup()
    if create:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


@contextmanager
def daphne_processes(count: int):
    with _daphne_processes(
        count, env={"DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING"}
    ) as servers:
        yield servers


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
