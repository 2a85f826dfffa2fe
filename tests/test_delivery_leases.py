"""A batch that outlives its lease: the worker that took it over is never doubled, and delivery
costs the same few queries however many pushes a batch carries."""

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.factories import UserFactory
from exercises.factories import ExerciseFactory
from nudges.delivery import LEASE, nudges_deliver
from nudges.kinds import KINDS
from nudges.leases import lease_due
from nudges.models import DeliveryAttempt, Device, Kind, Nudge
from nudges.push import PushResult
from teams.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


class StallingBackend:
    """Sends like FCM would; the first time it is asked, its worker stalls past the lease, and
    meanwhile another worker (one whose clock reads after the lease) takes the batch over."""

    sent: list = []
    stalled = False

    def send(self, pushes):
        self.sent.extend((push.nudge_id, push.token) for push in pushes)
        if not StallingBackend.stalled:
            StallingBackend.stalled = True
            nudges_deliver(now=timezone.now() + LEASE + timedelta(seconds=1))
        return [PushResult(outcome="sent", message_id=f"m{len(self.sent)}") for _ in pushes]


@pytest.fixture
def stalling(settings):
    settings.PUSH_BACKEND = "tests.test_delivery_leases.StallingBackend"
    StallingBackend.sent, StallingBackend.stalled = [], False
    return StallingBackend


@pytest.fixture(autouse=True)
def _daytime(time_machine):
    # Outside everyone's quiet hours (UTC people, 21:00-08:00 by default).
    time_machine.move_to("2026-06-10 12:00Z", tick=True)


def backlog(people: int, kind: str = Kind.SEEN, **fields) -> list[Nudge]:
    due = timezone.now() - timedelta(minutes=1)
    nudges = []
    for _ in range(people):
        person = UserFactory(time_zone="UTC", **fields)
        Device.objects.create(user=person, token=f"token-{person.pk}", platform=Device.Platform.ANDROID)
        nudges.append(
            Nudge.objects.create(
                user=person, kind=kind, dedupe_key=f"{kind}:{person.pk}", due_at=due, planned_for=due.date()
            )
        )
    return nudges


def successes() -> Counter:
    return Counter(DeliveryAttempt.objects.filter(outcome="sent").values_list("nudge_id", "device_id"))


def queries_to_deliver(make_backlog) -> int:
    """The queries one delivery of the backlog `make_backlog()` makes, every nudge of it sent;
    the backlog is then cleared for the next."""
    make_backlog()
    with CaptureQueriesContext(connection) as queries:
        nudges_deliver()
    assert set(Nudge.objects.values_list("status", flat=True)) == {"sent"}
    Nudge.objects.all().delete()
    return len(queries)


def test_answers_that_come_back_after_another_worker_took_over_are_not_recorded(stalling):
    [nudge] = backlog(people=1)
    nudges_deliver()
    assert list(successes().values()) == [1]
    assert DeliveryAttempt.objects.get().message_id == "m2"  # the worker that took over
    nudge.refresh_from_db()
    assert (nudge.status, nudge.lease_token) == ("sent", None)


def test_a_worker_sends_nothing_more_of_a_batch_another_worker_took_over(stalling, monkeypatch):
    monkeypatch.setattr("nudges.delivery.PUSH_CHUNK", 1)
    first, second = backlog(people=2)
    nudges_deliver()
    # The first push was on its way when the other worker took over (FCM got it twice); the
    # stalled worker sent nothing after that.
    assert Counter(nudge_id for nudge_id, _ in stalling.sent) == {first.pk: 2, second.pk: 1}
    assert list(successes().values()) == [1, 1]


def test_a_worker_never_starts_a_send_its_lease_might_not_outlast(stalling, settings):
    [nudge] = backlog(people=1)
    settings.FIREBASE_HTTP_TIMEOUT = int(LEASE.total_seconds())
    assert nudges_deliver() == 1
    nudge.refresh_from_db()
    assert (stalling.sent, nudge.sent_at, nudge.status) == ([], None, "pending")
    settings.FIREBASE_HTTP_TIMEOUT = 10
    stalling.stalled = True  # the next worker does not stall
    nudges_deliver(now=timezone.now() + LEASE + timedelta(seconds=1))
    assert stalling.sent == [(nudge.pk, f"token-{nudge.user_id}")]


@pytest.mark.parametrize("texts", ["the same", "each its own"])
def test_delivering_a_batch_takes_as_many_queries_for_90_pushes_as_for_9(settings, monkeypatch, texts):
    settings.PUSH_BACKEND = "nudges.push.ConsoleBackend"
    # Each kind's own last look may read per nudge; delivery itself reads and writes per batch.
    count = (lambda user: 1) if texts == "the same" else (lambda user: 2 + user.pk)
    monkeypatch.setitem(
        KINDS, Kind.SEEN, replace(KINDS[Kind.SEEN], facts=lambda nudge, user, local: {"count": count(user)})
    )
    counts = [queries_to_deliver(lambda people=people: backlog(people)) for people in (9, 90)]
    assert counts[0] == counts[1]


def test_a_batch_of_daily_exercises_reads_the_peoples_practice_at_once(settings, organisation):
    """Whether each has done one today and which to suggest: read for the batch, not per person
    (the catalogue once per organisation, and kept)."""
    settings.PUSH_BACKEND = "nudges.push.ConsoleBackend"
    ExerciseFactory.create_batch(3)
    # The first batch reads the catalogue, which the process then keeps.
    counts = [
        queries_to_deliver(lambda people=people: backlog(people, kind=Kind.DAILY_EXERCISE, organisation=organisation))
        for people in (1, 9, 90)
    ]
    assert counts[1] == counts[2] == counts[0] - 1


def test_each_nudge_of_a_batch_keeps_its_own_text_and_when_it_was_sent(settings, monkeypatch):
    settings.PUSH_BACKEND = "nudges.push.ConsoleBackend"
    monkeypatch.setitem(
        KINDS, Kind.SEEN, replace(KINDS[Kind.SEEN], facts=lambda nudge, user, local: {"count": 2 + user.pk})
    )
    nudges = backlog(3)
    nudges_deliver()
    stored = {n.pk: (n.title, n.body, n.sent_at is not None) for n in Nudge.objects.all()}
    assert stored == {
        n.pk: (f"{2 + n.user_id} colleagues saw you today", "Have a look at what they noticed.", True) for n in nudges
    }


def test_a_claim_takes_the_backlog_in_due_order_from_an_index_without_sorting_it():
    backlog(3)
    with CaptureQueriesContext(connection) as queries:
        lease_due(now=timezone.now(), limit=500, length=LEASE)
    [claim] = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "nudges_nudge"')]
    plan = query_plan(claim)
    assert "nudge_pending_due" in plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan  # PostgreSQL's and SQLite's words for a sort


def query_plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As on a backlog of thousands: with a handful of rows a scan of the table is cheaper.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_a_batch_of_weekly_look_backs_reads_everyones_week_at_once(settings):
    settings.PUSH_BACKEND = "nudges.push.ConsoleBackend"
    counts = [
        queries_to_deliver(lambda people=people: backlog(people, kind=Kind.WEEKLY_LOOKBACK)) for people in (9, 90)
    ]
    assert counts[0] == counts[1]


def test_a_batch_of_reconnect_nudges_reads_everyones_teammates_at_once(settings):
    settings.PUSH_BACKEND = "nudges.push.ConsoleBackend"

    def teammates(people: int) -> None:
        team = TeamFactory()
        for nudge in backlog(people, kind=Kind.RECONNECT):
            MembershipFactory(team=team, user=nudge.user)

    counts = [queries_to_deliver(lambda people=people: teammates(people)) for people in (9, 90)]
    assert counts[0] == counts[1]
