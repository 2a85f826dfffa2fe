"""What a person does with their own nudges: opens one, registers or removes a device, changes
their preferences. The API's writes; what other apps tell nudges is in nudges/triggers.py.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from common.errors import Conflict, Invalid, NotFound
from nudges.models import Device, Kind, Nudge, Preferences


@transaction.atomic
def nudge_opened(*, user: User, nudge_id: int) -> Nudge:
    nudge = Nudge.objects.filter(pk=nudge_id, user=user, sent_at__isnull=False).first()
    if nudge is None:
        raise NotFound("No such nudge among yours.", code="nudge_not_found")
    if nudge.opened_at is None:
        nudge.opened_at = timezone.now()
        nudge.save(update_fields=["opened_at"])
    return nudge


@transaction.atomic
def device_register(
    *, user: User, token: str, platform: str, app_version: str = "", locale: str = ""
) -> tuple[Device, bool]:
    """Register or refresh a token; True if it is new.

    A token someone else registered moves to the person registering it within an organisation
    (a shared phone). Across organisations it moves only once the other registration is gone
    (its owner signed out on that device, or everywhere) or has been idle for
    DEVICE_TAKEOVER_IDLE_DAYS; otherwise whoever learned a token could take a person's pushes
    away. The refusal never says whose the token is.
    """
    if not token.strip():
        raise Invalid("A registration token is needed.", code="blank", field="token")
    if platform not in Device.Platform.values:
        raise Invalid("Unknown platform.", code="invalid_choice", field="platform")
    held = Device.objects.select_for_update(of=("self",)).select_related("user").filter(token=token.strip()).first()
    if held is not None and not _may_take_over(device=held, user=user):
        raise Conflict("This device is signed in to another account; sign out there first.", code="device_in_use")
    return Device.objects.update_or_create(
        token=token.strip(),
        defaults={
            "user": user,
            "platform": platform,
            "app_version": app_version,
            "locale": locale,
            "active": True,
            "deactivated_reason": "",
            "updated_at": timezone.now(),
        },
    )


def _may_take_over(*, device: Device, user: User) -> bool:
    same_organisation = device.user.organisation_id is not None and device.user.organisation_id == user.organisation_id
    idle_since = timezone.now() - timedelta(days=settings.DEVICE_TAKEOVER_IDLE_DAYS)
    return device.user_id == user.pk or same_organisation or device.updated_at <= idle_since


@transaction.atomic
def device_remove(*, user: User, token: str) -> None:
    deleted, _ = Device.objects.filter(user=user, token=token).delete()
    if not deleted:
        raise NotFound("No such device among yours.", code="device_not_found")


PREFERENCE_FIELDS = (
    *Kind.values,
    "daily_exercise_at",
    "quiet_start",
    "quiet_end",
    "daily_cap",
    "snoozed_until",
)


@transaction.atomic
def preferences_update(*, user: User, **changes) -> Preferences:
    unknown = set(changes) - set(PREFERENCE_FIELDS)
    if unknown:
        raise Invalid(f"Unknown preference {sorted(unknown)[0]!r}.", code="unknown_field")
    cap = changes.get("daily_cap")
    if cap is not None and not 1 <= cap <= 5:
        raise Invalid("A daily cap from 1 to 5.", code="out_of_range", field="daily_cap")
    preferences, _ = Preferences.objects.select_for_update().get_or_create(user=user)
    for name, value in changes.items():
        setattr(preferences, name, value)
    preferences.save()
    return preferences
