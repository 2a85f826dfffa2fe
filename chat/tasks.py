"""Background work for chat channels, run by django-tasks' database worker. The task imports
the delivery it calls inside itself, so that services (which enqueue it) can import this module."""

from django_tasks import task

# How long one task goes on visiting channels before leaving the rest to the next (the clock
# enqueues one every 30 seconds); well inside a post's lease (chat.delivery.LEASE).
POSTING_TASK_SECONDS = 60


@task()
def post_to_chat() -> int:
    from chat.delivery import chat_post_due

    return chat_post_due(seconds=POSTING_TASK_SECONDS)


def enqueue_posting() -> None:
    """Called after commit when a post is due now (a greeting), so it goes without waiting for the clock."""
    post_to_chat.enqueue()
