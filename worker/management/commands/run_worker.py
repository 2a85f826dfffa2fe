"""A background worker: runs queued tasks (django-tasks-db's worker) and keeps the clock
(periodic jobs). Run as many as you like; they claim tasks with row locks and enqueue each
periodic slot once."""

import logging
import threading
import time

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from worker.schedule import enqueue_due_jobs

logger = logging.getLogger(__name__)
RETRY_SECONDS = 3


def keep_the_clock(*, every: float, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            enqueue_due_jobs()
        except Exception:  # a database hiccup must not stop the clock
            logger.exception("could not enqueue periodic jobs")
        finally:
            close_old_connections()
        stop.wait(every)


class Command(BaseCommand):
    help = "Run background work: queued tasks and periodic jobs."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls for tasks.")
        parser.add_argument("--batch", action="store_true", help="Run what is queued now, then exit.")

    def handle(self, *args, interval=1.0, batch=False, **options):
        stop = threading.Event()
        if not batch:
            threading.Thread(target=keep_the_clock, kwargs={"every": 5, "stop": stop}, daemon=True).start()
        worker = Worker(
            queue_names=["default"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        if not batch:
            worker.configure_signals()
        try:
            while True:
                try:
                    worker.run()
                    return
                except (OperationalError, InterfaceError):
                    # The database restarted or refused a connection: wait, then carry on.
                    logger.exception("database unavailable; the worker retries in %s s", RETRY_SECONDS)
                    close_old_connections()
                    time.sleep(RETRY_SECONDS)
        finally:
            stop.set()
