from django.db import models


class PeriodicRun(models.Model):
    """One row per job per time slot: inserting it is how a worker wins the right to enqueue
    that slot's run, so several workers enqueue each periodic job once."""

    job = models.CharField(max_length=40)
    slot = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_slot")]
