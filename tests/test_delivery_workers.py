"""Several workers, dying workers: every nudge reaches every device exactly once."""

import threading
import time
from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from django.db import close_old_connections
from django.utils import timezone

from accounts.factories import UserFactory
from nudges.clock import nudges_plan
from nudges.delivery import LEASE, nudges_deliver
from nudges.leases import lease_due
from nudges.models import DeliveryAttempt, Device, Kind, Nudge
from nudges.push import PushResult
from nudges.tasks import deliver_nudges
from teams.factories import MembershipFactory


class RecordingBackend:
    """A push backend that remembers every push, from any thread, and takes a little time."""

    sent: list = []
    lock = threading.Lock()

    def send(self, pushes):
        time.sleep(0.01)
        with self.lock:
            self.sent.extend((push.nudge_id, push.token) for push in pushes)
        return [PushResult(outcome="sent", message_id="m") for _ in pushes]


@pytest.fixture(autouse=True)
def recording(settings):
    settings.PUSH_BACKEND = "tests.test_delivery_workers.RecordingBackend"
    RecordingBackend.sent = []
    yield RecordingBackend


def backlog(people: int, devices_each: int) -> list[Nudge]:
    due = timezone.now() - timedelta(minutes=1)
    nudges = []
    for n in range(people):
        person = UserFactory(time_zone="UTC")
        for d in range(devices_each):
            Device.objects.create(user=person, token=f"token-{n}-{d}", platform=Device.Platform.IOS)
        nudges.append(Nudge.objects.create(user=person, kind=Kind.SEEN, dedupe_key=f"seen:{n}", due_at=due))
    return nudges


@pytest.fixture(autouse=True)
def _daytime(time_machine):
    # Outside everyone's quiet hours (UTC people, 21:00-08:00 by default).
    time_machine.move_to("2026-06-10 12:00Z", tick=True)


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_one_backlog_send_each_nudge_once_per_device(recording):
    nudges = backlog(people=30, devices_each=2)
    errors = []

    def work():
        try:
            while nudges_deliver(limit=7):
                pass
        except Exception as error:  # surfaced below: a worker must not crash
            errors.append(error)
        finally:
            close_old_connections()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert Counter(recording.sent).most_common(1)[0][1] == 1
    assert len(recording.sent) == 60
    assert set(Nudge.objects.values_list("status", flat=True)) == {"sent"}
    assert DeliveryAttempt.objects.filter(outcome="sent").count() == 60
    assert {n.pk for n in nudges} == {nudge_id for nudge_id, _ in recording.sent}


@pytest.mark.django_db(transaction=True)
def test_a_nudge_held_by_a_worker_that_died_is_picked_up_when_its_lease_runs_out(recording):
    [nudge] = backlog(people=1, devices_each=1)
    assert [n.pk for n in lease_due(now=timezone.now(), limit=10, length=LEASE).nudges] == [nudge.pk]  # ...and dies
    assert nudges_deliver() == 0  # still leased: nobody else touches it
    assert nudges_deliver(now=timezone.now() + LEASE + timedelta(seconds=1)) == 1
    assert recording.sent == [(nudge.pk, "token-0-0")]


@pytest.mark.django_db(transaction=True)
def test_a_device_that_already_got_the_nudge_does_not_get_it_again(recording):
    [nudge] = backlog(people=1, devices_each=2)
    first = Device.objects.get(token="token-0-0")
    DeliveryAttempt.objects.create(nudge=nudge, device=first, outcome="sent")
    Nudge.objects.filter(pk=nudge.pk).update(sent_at=timezone.now(), title="t", body="b")  # decided before the crash
    nudges_deliver()
    assert recording.sent == [(nudge.pk, "token-0-1")]


@pytest.mark.django_db(transaction=True)
def test_planning_twice_at_once_makes_each_nudge_once():
    people = [MembershipFactory().user for _ in range(5)]
    results = []

    def plan():
        try:
            results.append(nudges_plan(now=timezone.now()))
        finally:
            close_old_connections()

    planners = [threading.Thread(target=plan) for _ in range(2)]
    for planner in planners:
        planner.start()
    for planner in planners:
        planner.join()
    daily = Nudge.objects.filter(kind=Kind.DAILY_EXERCISE)
    assert daily.count() == daily.values("user", "planned_for").distinct().count()
    assert set(daily.values_list("user", flat=True)) == {p.pk for p in people}


@pytest.mark.django_db(transaction=True)
def test_one_delivery_task_goes_through_the_whole_backlog_batch_after_batch(recording, monkeypatch):
    nudges = backlog(people=7, devices_each=1)
    monkeypatch.setattr("nudges.delivery.nudges_deliver", partial(nudges_deliver, limit=3))
    assert deliver_nudges.call() == 7
    assert sorted(nudge_id for nudge_id, _ in recording.sent) == [n.pk for n in nudges]
