from django_tasks import task

from insights.services import insights_catch_up


@task()
def roll_up_insights() -> int:
    return insights_catch_up()
