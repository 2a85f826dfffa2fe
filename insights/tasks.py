from django_tasks import task


@task()
def roll_up_insights() -> int:
    from insights.services import insights_catch_up

    return insights_catch_up()
