"""Background work for group sessions, run by django-tasks' database worker. The task only calls
the service, imported inside it (the services import nothing from here)."""

from django_tasks import task


@task()
def open_scheduled_sessions() -> int:
    from group_sessions.services import scheduled_sessions_open

    return len(scheduled_sessions_open())
