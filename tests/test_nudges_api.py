"""The nudges' doors: devices (register, refresh, move, remove, log out everywhere), nudge
preferences, the in-app inbox and opening a nudge, for the right person only, with the standard
error body for anything else and nothing half-written."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.factories import DEFAULT_PASSWORD
from nudges.models import Device, Kind, Nudge, Preferences
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

DEVICES = "/api/v1/devices"
PREFERENCES = "/api/v1/nudges/preferences"
INBOX = "/api/v1/nudges"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT_EVERYWHERE = "/api/v1/auth/logout/everywhere"

# An FCM registration token looks like this: a colon, dashes and underscores included.
TOKEN = "fGx3-Tq9RkS:APA91bH_phone-one_Zz8"
OTHER_TOKEN = "cQ2_aB7yWnU:APA91bG_phone-two_Yy1"

DEFAULT_PREFERENCES = {
    "daily_exercise": True,
    "reflect_after": True,
    "seen": True,
    "session_started": True,
    "weekly_lookback": True,
    "reconnect": True,
    "orphan_claimed": True,
    "orphan_reminder": True,
    "pair_invited": True,
    "agreement_review": True,
    "commitment_check_back": True,
    "claim_handed_back": True,
    "team_quiet": True,
    "orphan_unclaimed": True,
    "daily_exercise_at": "09:00",
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "daily_cap": 2,
    "snoozed_until": None,
}
TIME_FIELDS = ("daily_exercise_at", "quiet_start", "quiet_end")


# Helpers


def device_url(token: str) -> str:
    return f"/api/v1/devices/{token}"


def opened_url(nudge_id) -> str:
    return f"/api/v1/nudges/{nudge_id}/opened"


def register(client, token=TOKEN, **overrides):
    body = {"token": token, "platform": "ios", "app_version": "2.3.0", "locale": "en-GB"}
    body.update(overrides)
    return client.post(DEVICES, body, format="json")


def a_device(user, token=TOKEN, **fields) -> Device:
    return Device.objects.create(user=user, token=token, platform=fields.pop("platform", "android"), **fields)


_sequence = iter(range(1, 10**9))


def a_nudge(user, *, sent_at=datetime(2026, 6, 10, 9, 0, tzinfo=UTC), kind=Kind.SEEN, **fields) -> Nudge:
    """A nudge row as delivery leaves it: sent (in the inbox) unless told otherwise."""
    status = fields.pop("status", Nudge.Status.SENT if sent_at else Nudge.Status.PENDING)
    return Nudge.objects.create(
        user=user,
        kind=kind,
        dedupe_key=f"test:{user.pk}:{next(_sequence)}",
        due_at=sent_at or datetime(2026, 6, 10, 9, 0, tzinfo=UTC),
        status=status,
        sent_at=sent_at,
        title=fields.pop("title", "Someone saw you"),
        body=fields.pop("body", "Have a look at what they noticed."),
        **fields,
    )


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def hhmm(preferences: dict) -> dict:
    """The preferences with times cut to HH:MM (the API may add seconds)."""
    return {key: (value[:5] if key in TIME_FIELDS and value else value) for key, value in preferences.items()}


def sign_in(client, user) -> dict:
    response = client.post("/api/v1/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


# Devices: registering and refreshing


def test_registering_a_new_device_answers_201_with_the_device(client_for, member):
    response = register(client_for(member))

    assert response.status_code == 201
    assert response.json() == {"token": TOKEN, "platform": "ios", "app_version": "2.3.0", "locale": "en-GB"}
    device = Device.objects.get(token=TOKEN)
    assert (device.user_id, device.platform, device.active) == (member.pk, "ios", True)


@pytest.mark.parametrize("platform", ["ios", "android", "web"])
def test_every_supported_platform_can_register(client_for, member, platform):
    assert register(client_for(member), platform=platform).status_code == 201
    assert Device.objects.get(token=TOKEN).platform == platform


def test_registering_the_same_token_again_refreshes_it_with_200(client_for, member):
    # Signed in afresh at each moment: an access token minted in the future is refused.
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=UTC), tick=False):
        register(client_for(member), app_version="2.3.0")

    with time_machine.travel(datetime(2026, 6, 10, 9, 0, tzinfo=UTC), tick=False):
        response = register(client_for(member), app_version="2.4.1", locale="fr-FR")

    assert response.status_code == 200
    assert response.json()["app_version"] == "2.4.1"
    device = Device.objects.get(token=TOKEN)
    assert (device.app_version, device.locale) == ("2.4.1", "fr-FR")
    assert device.updated_at == datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    assert Device.objects.count() == 1


def test_registering_again_brings_a_pruned_token_back_to_life(client_for, member):
    a_device(member, active=False, deactivated_reason="unregistered")

    response = register(client_for(member))

    assert response.status_code == 200
    device = Device.objects.get(token=TOKEN)
    assert (device.active, device.deactivated_reason) == (True, "")


def test_a_token_registered_by_someone_else_moves_to_the_person_registering_it(client_for, member, teammate):
    a_device(teammate)

    response = register(client_for(member))

    assert response.status_code == 200
    assert Device.objects.get(token=TOKEN).user_id == member.pk
    assert Device.objects.count() == 1
    assert not Device.objects.filter(user=teammate).exists()


def test_a_person_can_have_several_devices(client_for, member):
    client = client_for(member)

    assert register(client, TOKEN).status_code == 201
    assert register(client, OTHER_TOKEN, platform="web").status_code == 201
    assert Device.objects.filter(user=member).count() == 2


def test_a_token_of_exactly_512_characters_is_accepted(client_for, member):
    assert register(client_for(member), "t" * 512).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"token": "t" * 513}, [("token", "max_length")]),
        ({"token": ""}, [("token", "blank")]),
        ({"token": "   "}, [("token", "blank")]),
        ({"token": None}, [("token", "null")]),
        ({"token": ["a", "b"]}, [("token", "invalid")]),
        ({"token": {"value": TOKEN}}, [("token", "invalid")]),
        ({"platform": "blackberry"}, [("platform", "invalid_choice")]),
        ({"platform": "IOS"}, [("platform", "invalid_choice")]),
        ({"platform": 1}, [("platform", "invalid_choice")]),
        ({"platform": None}, [("platform", "null")]),
        ({"app_version": "9" * 33}, [("app_version", "max_length")]),
        ({"locale": "x" * 17}, [("locale", "max_length")]),
    ],
)
def test_nonsense_devices_are_refused_and_nothing_is_stored(client_for, member, overrides, expected):
    response = register(client_for(member), **overrides)

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert error_codes(response) == expected
    assert not Device.objects.exists()


def test_a_device_without_token_or_platform_is_refused(client_for, member):
    response = client_for(member).post(DEVICES, {}, format="json")

    assert response.status_code == 400
    assert sorted(error_codes(response)) == [("platform", "required"), ("token", "required")]
    assert not Device.objects.exists()


def test_a_nonsense_device_never_takes_someone_elses_token(client_for, member, teammate):
    a_device(teammate, app_version="1.0")

    response = register(client_for(member), platform="blackberry")

    assert response.status_code == 400
    device = Device.objects.get(token=TOKEN)
    assert (device.user_id, device.app_version, device.platform) == (teammate.pk, "1.0", "android")


def test_registering_a_device_needs_signing_in(anonymous):
    response = register(anonymous)

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    assert not Device.objects.exists()


# Devices: removing


def test_removing_ones_own_device_answers_204_and_forgets_it(client_for, member):
    a_device(member)
    a_device(member, OTHER_TOKEN)

    response = client_for(member).delete(device_url(TOKEN))

    assert response.status_code == 204
    assert list(Device.objects.values_list("token", flat=True)) == [OTHER_TOKEN]


@pytest.mark.parametrize("token", ["%00", "abc%00def", "%1F", "%7F"])
def test_a_device_token_with_a_control_character_is_no_such_path(client_for, member, token):
    response = client_for(member).delete(f"/api/v1/devices/{token}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_removing_a_device_twice_is_404_the_second_time(client_for, member):
    a_device(member)
    client = client_for(member)
    client.delete(device_url(TOKEN))

    response = client.delete(device_url(TOKEN))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "device_not_found")]


def test_removing_an_unknown_token_is_404(client_for, member):
    response = client_for(member).delete(device_url("never-registered"))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "device_not_found")]


@pytest.mark.parametrize("owner", ["teammate", "colleague", "outsider"])
def test_someone_elses_device_is_404_and_survives(request, client_for, member, owner):
    someone_else = request.getfixturevalue(owner)
    a_device(someone_else)

    response = client_for(member).delete(device_url(TOKEN))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "device_not_found")]
    assert Device.objects.get(token=TOKEN).user_id == someone_else.pk


def test_removing_a_device_needs_signing_in(anonymous, member):
    a_device(member)

    response = anonymous.delete(device_url(TOKEN))

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    assert Device.objects.filter(token=TOKEN).exists()


# Logging out everywhere


def test_logging_out_everywhere_forgets_all_ones_devices(client_for, member, teammate):
    a_device(member, TOKEN)
    a_device(member, OTHER_TOKEN, platform="web")
    a_device(teammate, "teammate-token")

    response = client_for(member).post(LOGOUT_EVERYWHERE)

    assert response.status_code == 204
    assert not Device.objects.filter(user=member).exists()
    assert list(Device.objects.values_list("token", flat=True)) == ["teammate-token"]


def test_logging_out_everywhere_revokes_every_refresh_token(anonymous, client_for, member):
    on_the_phone = sign_in(anonymous, member)["refresh"]
    on_the_laptop = sign_in(anonymous, member)["refresh"]

    assert client_for(member).post(LOGOUT_EVERYWHERE).status_code == 204

    assert anonymous.post(REFRESH, {"refresh": on_the_phone}, format="json").status_code == 401
    assert anonymous.post(REFRESH, {"refresh": on_the_laptop}, format="json").status_code == 401


def test_logging_out_everywhere_leaves_other_peoples_sessions_alone(anonymous, client_for, member, teammate):
    theirs = sign_in(anonymous, teammate)["refresh"]

    client_for(member).post(LOGOUT_EVERYWHERE)

    assert anonymous.post(REFRESH, {"refresh": theirs}, format="json").status_code == 200


def test_logging_out_everywhere_needs_signing_in(anonymous, member):
    a_device(member)

    response = anonymous.post(LOGOUT_EVERYWHERE)

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    assert Device.objects.filter(user=member).exists()


# Preferences


def test_someone_who_never_set_preferences_sees_the_defaults(client_for, member):
    response = client_for(member).get(PREFERENCES)

    assert response.status_code == 200
    assert hhmm(response.json()) == DEFAULT_PREFERENCES


def test_changing_some_preferences_keeps_the_rest(client_for, member):
    client = client_for(member)

    response = client.put(
        PREFERENCES,
        {"seen": False, "daily_exercise_at": "07:15", "quiet_start": "22:30", "quiet_end": "06:45", "daily_cap": 5},
        format="json",
    )

    assert response.status_code == 200
    expected = {
        **DEFAULT_PREFERENCES,
        "seen": False,
        "daily_exercise_at": "07:15",
        "quiet_start": "22:30",
        "quiet_end": "06:45",
        "daily_cap": 5,
    }
    assert hhmm(response.json()) == expected
    assert hhmm(client.get(PREFERENCES).json()) == expected
    saved = Preferences.objects.get(user=member)
    assert (saved.seen, saved.daily_exercise_at, saved.quiet_start, saved.quiet_end, saved.daily_cap) == (
        False,
        time(7, 15),
        time(22, 30),
        time(6, 45),
        5,
    )


def test_changing_preferences_twice_updates_the_one_row(client_for, member):
    client = client_for(member)
    client.put(PREFERENCES, {"daily_cap": 1}, format="json")

    client.put(PREFERENCES, {"daily_cap": 3}, format="json")

    assert Preferences.objects.filter(user=member).count() == 1
    assert Preferences.objects.get(user=member).daily_cap == 3


def test_every_kind_can_be_turned_off(client_for, member):
    kinds = {kind: False for kind in Kind.values}

    response = client_for(member).put(PREFERENCES, kinds, format="json")

    assert response.status_code == 200
    assert {kind: response.json()[kind] for kind in Kind.values} == kinds


def test_snoozing_and_waking_up(client_for, member):
    client = client_for(member)

    snoozed = client.put(PREFERENCES, {"snoozed_until": "2026-06-12T08:00:00Z"}, format="json")
    assert snoozed.status_code == 200
    assert Preferences.objects.get(user=member).snoozed_until == datetime(2026, 6, 12, 8, 0, tzinfo=UTC)

    awake = client.put(PREFERENCES, {"snoozed_until": None}, format="json")
    assert awake.status_code == 200
    assert awake.json()["snoozed_until"] is None
    assert Preferences.objects.get(user=member).snoozed_until is None


def test_ones_preferences_are_ones_own(client_for, member, teammate):
    client_for(member).put(PREFERENCES, {"daily_cap": 1, "seen": False}, format="json")

    response = client_for(teammate).get(PREFERENCES)

    assert hhmm(response.json()) == DEFAULT_PREFERENCES
    assert not Preferences.objects.filter(user=teammate).exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"daily_cap": 0}, [("daily_cap", "min_value")]),
        ({"daily_cap": 6}, [("daily_cap", "max_value")]),
        ({"daily_cap": -1}, [("daily_cap", "min_value")]),
        ({"daily_cap": "x"}, [("daily_cap", "invalid")]),
        ({"daily_cap": 2.5}, [("daily_cap", "invalid")]),
        ({"daily_cap": None}, [("daily_cap", "null")]),
        ({"daily_exercise_at": "25:00"}, [("daily_exercise_at", "invalid")]),
        ({"daily_exercise_at": "9 o'clock"}, [("daily_exercise_at", "invalid")]),
        ({"quiet_start": "21:60"}, [("quiet_start", "invalid")]),
        ({"quiet_end": 8}, [("quiet_end", "invalid")]),
        ({"quiet_end": None}, [("quiet_end", "null")]),
        ({"seen": "maybe"}, [("seen", "invalid")]),
        ({"reconnect": None}, [("reconnect", "null")]),
        ({"snoozed_until": "soon"}, [("snoozed_until", "invalid")]),
    ],
)
def test_nonsense_preferences_are_refused(client_for, member, body, expected):
    response = client_for(member).put(PREFERENCES, body, format="json")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert error_codes(response) == expected
    assert not Preferences.objects.filter(user=member).exists()


def test_one_bad_preference_means_none_of_the_change_is_saved(client_for, member):
    client = client_for(member)
    client.put(PREFERENCES, {"daily_cap": 4}, format="json")

    response = client.put(PREFERENCES, {"daily_cap": 1, "seen": False, "quiet_start": "25:00"}, format="json")

    assert response.status_code == 400
    assert error_codes(response) == [("quiet_start", "invalid")]
    saved = Preferences.objects.get(user=member)
    assert (saved.daily_cap, saved.seen, saved.quiet_start) == (4, True, time(21, 0))


def test_preferences_need_signing_in(anonymous):
    for response in (anonymous.get(PREFERENCES), anonymous.put(PREFERENCES, {"daily_cap": 1}, format="json")):
        assert response.status_code == 401
        assert error_codes(response) == [(None, "not_authenticated")]
    assert not Preferences.objects.exists()


# The in-app inbox


def test_the_inbox_lists_only_my_sent_nudges_newest_first(client_for, member, teammate, outsider):
    day = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    first = a_nudge(member, sent_at=day)
    second = a_nudge(member, sent_at=day + timedelta(hours=2), kind=Kind.DAILY_EXERCISE)
    third = a_nudge(member, sent_at=day + timedelta(hours=4), kind=Kind.REFLECT_AFTER)
    a_nudge(member, sent_at=None)  # still pending
    a_nudge(member, sent_at=None, status=Nudge.Status.SKIPPED, reason="daily_cap")
    a_nudge(teammate)
    a_nudge(outsider)

    response = client_for(member).get(INBOX)

    assert response.status_code == 200
    assert ids(response) == [third.pk, second.pk, first.pk]


def test_a_nudge_in_the_inbox_shows_what_it_said_and_when(client_for, member):
    nudge = a_nudge(member, kind=Kind.WEEKLY_LOOKBACK, title="Your week", body="2 exercises done.")

    item = client_for(member).get(INBOX).json()["results"][0]

    assert item == {
        "id": nudge.pk,
        "kind": "weekly_lookback",
        "title": "Your week",
        "body": "2 exercises done.",
        "sent_at": "2026-06-10T09:00:00Z",
        "opened_at": None,
    }


def test_a_nudge_whose_push_failed_is_still_in_the_inbox(client_for, member):
    nudge = a_nudge(member, status=Nudge.Status.FAILED, reason="UNAVAILABLE")

    assert ids(client_for(member).get(INBOX)) == [nudge.pk]


def test_the_inbox_is_newest_first_by_when_nudges_were_sent_not_planned(client_for, member):
    """Daily nudges are planned a day ahead, so a row made earlier can be sent later."""
    planned_yesterday_sent_at_nine = a_nudge(
        member, kind=Kind.DAILY_EXERCISE, sent_at=datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    )
    planned_and_sent_at_eight = a_nudge(member, kind=Kind.SEEN, sent_at=datetime(2026, 6, 10, 8, 0, tzinfo=UTC))

    response = client_for(member).get(INBOX)

    assert ids(response) == [planned_yesterday_sent_at_nine.pk, planned_and_sent_at_eight.pk]


def test_the_inbox_is_cursor_paginated_without_gaps_or_repeats(client_for, member):
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    nudges = [a_nudge(member, sent_at=start + timedelta(hours=n)) for n in range(25)]
    client = client_for(member)

    first_page = client.get(INBOX)
    assert first_page.status_code == 200
    assert first_page.json()["previous"] is None
    assert first_page.json()["next"]
    second_page = client.get(first_page.json()["next"])

    assert second_page.status_code == 200
    assert second_page.json()["next"] is None
    assert ids(first_page) + ids(second_page) == [nudge.pk for nudge in reversed(nudges)]
    assert len(ids(first_page)) == 20


def test_the_inbox_page_size_can_be_chosen(client_for, member):
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    for n in range(5):
        a_nudge(member, sent_at=start + timedelta(hours=n))

    response = client_for(member).get(INBOX, {"limit": 2})

    assert len(ids(response)) == 2
    assert response.json()["next"]


def test_a_made_up_inbox_cursor_is_400_invalid_cursor(client_for, member):
    a_nudge(member)

    response = client_for(member).get(INBOX, {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert error_codes(response) == [("cursor", "invalid_cursor")]


def test_someone_with_no_nudges_has_an_empty_inbox(client_for, member, teammate):
    a_nudge(teammate)

    response = client_for(member).get(INBOX)

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_inbox_needs_signing_in(anonymous):
    response = anonymous.get(INBOX)

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]


# Opening a nudge


def test_opening_a_nudge_records_when(client_for, member):
    nudge = a_nudge(member)

    with time_machine.travel(datetime(2026, 6, 10, 9, 5, tzinfo=UTC), tick=False):
        response = client_for(member).post(opened_url(nudge.pk))

    assert response.status_code == 200
    assert response.json()["id"] == nudge.pk
    assert response.json()["opened_at"] == "2026-06-10T09:05:00Z"
    nudge.refresh_from_db()
    assert nudge.opened_at == datetime(2026, 6, 10, 9, 5, tzinfo=UTC)


def test_opening_a_nudge_again_keeps_the_first_time(client_for, member):
    nudge = a_nudge(member)
    with time_machine.travel(datetime(2026, 6, 10, 9, 5, tzinfo=UTC), tick=False):
        client_for(member).post(opened_url(nudge.pk))

    with time_machine.travel(datetime(2026, 6, 10, 18, 0, tzinfo=UTC), tick=False):
        response = client_for(member).post(opened_url(nudge.pk))

    assert response.status_code == 200
    assert response.json()["opened_at"] == "2026-06-10T09:05:00Z"
    nudge.refresh_from_db()
    assert nudge.opened_at == datetime(2026, 6, 10, 9, 5, tzinfo=UTC)


def test_an_opened_nudge_shows_as_opened_in_the_inbox(client_for, member):
    nudge = a_nudge(member)
    with time_machine.travel(datetime(2026, 6, 10, 9, 5, tzinfo=UTC), tick=False):
        client_for(member).post(opened_url(nudge.pk))

    assert client_for(member).get(INBOX).json()["results"][0]["opened_at"] == "2026-06-10T09:05:00Z"


@pytest.mark.parametrize("owner", ["teammate", "lead", "outsider"])
def test_opening_someone_elses_nudge_is_404_and_leaves_it_unopened(request, client_for, member, owner):
    theirs = a_nudge(request.getfixturevalue(owner))

    response = client_for(member).post(opened_url(theirs.pk))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "nudge_not_found")]
    theirs.refresh_from_db()
    assert theirs.opened_at is None


def test_opening_a_nudge_that_was_never_sent_is_404(client_for, member):
    pending = a_nudge(member, sent_at=None)

    response = client_for(member).post(opened_url(pending.pk))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "nudge_not_found")]
    pending.refresh_from_db()
    assert pending.opened_at is None


def test_opening_an_unknown_nudge_is_404(client_for, member):
    response = client_for(member).post(opened_url(987654))

    assert response.status_code == 404
    assert error_codes(response) == [(None, "nudge_not_found")]


def test_a_nudge_id_that_is_not_a_number_is_404(client_for, member):
    response = client_for(member).post(opened_url("abc"))

    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


def test_opening_a_nudge_needs_signing_in(anonymous, member):
    nudge = a_nudge(member)

    response = anonymous.post(opened_url(nudge.pk))

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    nudge.refresh_from_db()
    assert nudge.opened_at is None


# Cost per request


def test_the_inbox_costs_the_same_queries_for_2_or_20_nudges(client_for, member):
    client = client_for(member)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(INBOX)
        assert response.status_code == 200, response.content
        return len(captured)

    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    for n in range(2):
        a_nudge(member, sent_at=start + timedelta(hours=n))
    few = queries()
    for n in range(2, 20):
        a_nudge(member, sent_at=start + timedelta(hours=n))
    many = queries()

    assert (few, many) == (2, 2)
