"""Reads about nudges: someone's preferences and their in-app inbox."""

from django.db.models import QuerySet

from accounts.models import User
from nudges.models import Nudge, Preferences


def preferences_for(*, user: User) -> Preferences:
    """Saved preferences, or the defaults (unsaved) for someone who never changed them."""
    try:
        return user.nudge_preferences
    except Preferences.DoesNotExist:
        return Preferences(user=user)


def inbox_for(*, user: User) -> QuerySet[Nudge]:
    """Nudges that reached the person in the app, whatever became of the push."""
    return Nudge.objects.filter(user=user, sent_at__isnull=False)
