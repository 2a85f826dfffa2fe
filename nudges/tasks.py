"""Background work for nudges, run by django-tasks' database worker. Tasks only call services."""

from django_tasks import task

from nudges import services


@task()
def deliver_nudges() -> int:
    return services.nudges_deliver()


@task()
def plan_nudges() -> int:
    return services.nudges_plan()


def enqueue_delivery() -> None:
    """Called after commit when something is due now, so it goes out without waiting for the clock."""
    deliver_nudges.enqueue()
