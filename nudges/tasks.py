"""Background work for nudges, run by django-tasks' database worker. Tasks only call services,
imported inside the task so that planning (which enqueues delivery) can import this module."""

from django_tasks import task

# How long one delivery task keeps going through a backlog before leaving the rest to the next.
DELIVERY_TASK_SECONDS = 60


@task()
def deliver_nudges() -> int:
    from nudges.delivery import nudges_deliver_due

    return nudges_deliver_due(seconds=DELIVERY_TASK_SECONDS)


@task()
def plan_nudges() -> int:
    from nudges.clock import nudges_plan

    return nudges_plan()


def enqueue_delivery() -> None:
    """Called after commit when something is due now, so it goes out without waiting for the clock."""
    deliver_nudges.enqueue()
