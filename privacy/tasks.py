from django_tasks import task


@task()
def carry_out_erasures() -> int:
    from privacy.services import account_erasures_due

    return account_erasures_due()
