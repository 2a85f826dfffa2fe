from django_tasks import task

from privacy.services import account_erasures_due


@task()
def carry_out_erasures() -> int:
    return account_erasures_due()
