""" "I see you" acknowledgements: sending, one's own lists, the team feed, reading, reacting,
hiding and reporting, and who may do each."""

import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import timezone

from accounts.factories import UserFactory
from acknowledgements.factories import AcknowledgementFactory, ReactionFactory, ReportFactory
from acknowledgements.models import Acknowledgement, Reaction, Report
from teams.factories import MembershipFactory, TeamFactory
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

SEND = "/api/v1/acknowledgements"
RECEIVED = "/api/v1/acknowledgements/received"
SENT = "/api/v1/acknowledgements/sent"

PRIVATE = Acknowledgement.Visibility.PRIVATE
TEAM = Acknowledgement.Visibility.TEAM

ACKNOWLEDGEMENT_FIELDS = {
    "id",
    "sender",
    "recipient",
    "message",
    "behaviour",
    "visibility",
    "client_id",
    "orphan",
    "commitment",
    "created_at",
    "read_at",
    "on_team_feed",
    "reactions",
    "my_reactions",
}

# Who is not in the conftest team, whatever their standing elsewhere.
STRANGERS = ["colleague", "coach", "outsider", "staff_admin"]


def send(client, recipient_id, **overrides):
    body = {
        "recipient": recipient_id,
        "message": "You stayed late to fix the build so we could ship.",
        "behaviour": "jumped_in",
        "visibility": "team",
        "client_id": str(uuid.uuid4()),
    }
    body.update(overrides)
    return client.post(SEND, body, format="json")


def read_url(acknowledgement_id):
    return f"/api/v1/acknowledgements/{acknowledgement_id}/read"


def reaction_url(acknowledgement_id, kind="heart"):
    return f"/api/v1/acknowledgements/{acknowledgement_id}/reactions/{kind}"


def hide_url(acknowledgement_id):
    return f"/api/v1/acknowledgements/{acknowledgement_id}/hide"


def report_url(acknowledgement_id):
    return f"/api/v1/acknowledgements/{acknowledgement_id}/report"


def feed_url(team_id):
    return f"/api/v1/teams/{team_id}/feed"


def ids(response):
    return [item["id"] for item in response.json()["results"]]


def on_feed(client, team_id):
    response = client.get(feed_url(team_id))
    assert response.status_code == 200
    return ids(response)


# Sending


def test_sending_an_acknowledgement_answers_201_with_the_documented_body(client_for, member, teammate):
    client_id = str(uuid.uuid4())
    response = send(client_for(member), teammate.pk, client_id=client_id, behaviour="spoke_up")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == ACKNOWLEDGEMENT_FIELDS
    assert body["sender"] == {"id": member.pk, "display_name": member.display_name}
    assert body["recipient"] == {"id": teammate.pk, "display_name": teammate.display_name}
    assert body["message"] == "You stayed late to fix the build so we could ship."
    assert body["behaviour"] == "spoke_up"
    assert body["visibility"] == "team"
    assert body["client_id"] == client_id
    assert body["read_at"] is None
    assert body["on_team_feed"] is True
    assert body["reactions"] == {"heart": 0, "clap": 0, "inspired": 0, "thanks": 0}
    assert body["my_reactions"] == []
    saved = Acknowledgement.objects.get()
    assert (saved.pk, saved.sender, saved.recipient, saved.organisation_id) == (
        body["id"],
        member,
        teammate,
        member.organisation_id,
    )


def test_an_acknowledgement_never_shows_anyones_email(client_for, member, teammate):
    response = send(client_for(member), teammate.pk)
    assert response.status_code == 201
    assert member.email not in response.content.decode()
    assert teammate.email not in response.content.decode()


def test_an_acknowledgement_is_private_unless_the_sender_says_otherwise(client_for, member, teammate):
    body = {"recipient": teammate.pk, "message": "Thank you.", "behaviour": "helped", "client_id": str(uuid.uuid4())}
    response = client_for(member).post(SEND, body, format="json")
    assert response.status_code == 201
    assert response.json()["visibility"] == "private"
    assert response.json()["on_team_feed"] is False
    assert Acknowledgement.objects.get().visibility == PRIVATE


def test_an_acknowledgement_can_go_to_a_colleague_outside_ones_teams(client_for, member, colleague):
    response = send(client_for(member), colleague.pk)
    assert response.status_code == 201
    assert Acknowledgement.objects.get().recipient == colleague


def test_surrounding_spaces_are_trimmed_from_the_message(client_for, member, teammate):
    response = send(client_for(member), teammate.pk, message="   Thanks for the help.  \n")
    assert response.status_code == 201
    assert Acknowledgement.objects.get().message == "Thanks for the help."


def test_sending_again_with_the_same_client_id_returns_the_first_one(client_for, member, teammate):
    client = client_for(member)
    client_id = str(uuid.uuid4())
    first = send(client, teammate.pk, client_id=client_id)
    retry = send(client, teammate.pk, client_id=client_id)

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["message"] == first.json()["message"]
    assert Acknowledgement.objects.count() == 1


def test_two_senders_may_happen_to_use_the_same_client_id(client_for, member, teammate, lead):
    client_id = str(uuid.uuid4())
    assert send(client_for(member), lead.pk, client_id=client_id).status_code == 201
    assert send(client_for(teammate), lead.pk, client_id=client_id).status_code == 201
    assert Acknowledgement.objects.count() == 2


def test_nobody_can_acknowledge_themselves(client_for, member):
    response = send(client_for(member), member.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("recipient", "self_acknowledgement")]
    assert Acknowledgement.objects.count() == 0


def test_a_person_in_another_organisation_cannot_be_acknowledged(client_for, member, outsider):
    response = send(client_for(member), outsider.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("recipient", "recipient_not_found")]
    assert Acknowledgement.objects.count() == 0


def test_an_unknown_recipient_is_refused_like_one_in_another_organisation(client_for, member, outsider):
    client = client_for(member)
    unknown = send(client, 999_999)
    elsewhere = send(client, outsider.pk)
    assert unknown.status_code == elsewhere.status_code == 400
    assert unknown.json() == elsewhere.json()
    assert Acknowledgement.objects.count() == 0


def test_a_deactivated_colleague_cannot_be_acknowledged(client_for, member, teammate):
    teammate.is_active = False
    teammate.save()
    response = send(client_for(member), teammate.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("recipient", "recipient_not_found")]
    assert Acknowledgement.objects.count() == 0


@pytest.mark.parametrize("sender_fixture", ["coach", "staff_admin"])
def test_a_coach_or_staff_admin_without_an_organisation_cannot_acknowledge_anyone(
    request, client_for, member, sender_fixture
):
    sender = request.getfixturevalue(sender_fixture)
    response = send(client_for(sender), member.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("recipient", "recipient_not_found")]
    assert Acknowledgement.objects.count() == 0


def test_a_person_without_an_organisation_cannot_acknowledge_another_such_person(client_for):
    sender = UserFactory(organisation=None)
    recipient = UserFactory(organisation=None)
    response = send(client_for(sender), recipient.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("recipient", "recipient_not_found")]
    assert Acknowledgement.objects.count() == 0


def test_sending_an_acknowledgement_needs_a_signed_in_person(anonymous, teammate):
    response = send(anonymous, teammate.pk)
    assert response.status_code == 401
    assert Acknowledgement.objects.count() == 0


def test_a_message_of_exactly_500_characters_is_fine(client_for, member, teammate):
    response = send(client_for(member), teammate.pk, message="a" * 500)
    assert response.status_code == 201
    assert len(Acknowledgement.objects.get().message) == 500


def test_a_message_over_500_characters_is_refused(client_for, member, teammate):
    response = send(client_for(member), teammate.pk, message="a" * 501)
    assert response.status_code == 400
    assert error_codes(response) == [("message", "max_length")]
    assert Acknowledgement.objects.count() == 0


@pytest.mark.parametrize("message", ["", "   ", "\n\t "])
def test_a_blank_message_is_refused(client_for, member, teammate, message):
    response = send(client_for(member), teammate.pk, message=message)
    assert response.status_code == 400
    assert error_codes(response) == [("message", "blank")]
    assert Acknowledgement.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("behaviour", "was_nice", "invalid_choice"),
        ("behaviour", "", "invalid_choice"),
        ("behaviour", ["helped"], "invalid_choice"),
        ("visibility", "everyone", "invalid_choice"),
        ("visibility", "PRIVATE", "invalid_choice"),
        ("client_id", "not-a-uuid", "invalid"),
        ("client_id", "", "invalid"),
        ("client_id", None, "null"),
        ("recipient", "somebody", "invalid"),
        ("recipient", None, "null"),
        ("recipient", 0, "min_value"),
        ("recipient", -3, "min_value"),
        ("recipient", [1], "invalid"),
        ("message", {"text": "hi"}, "invalid"),
        ("message", None, "null"),
        ("message", "x" * 100_000, "max_length"),
        ("message", "hi\x00there", "null_characters_not_allowed"),
    ],
)
def test_nonsense_in_a_field_is_refused_on_that_field(client_for, member, teammate, field, value, code):
    response = send(client_for(member), teammate.pk, **{field: value})
    assert response.status_code == 400
    assert (field, code) in error_codes(response)
    assert Acknowledgement.objects.count() == 0


@pytest.mark.parametrize("field", ["recipient", "message", "behaviour", "client_id"])
def test_a_missing_required_field_is_refused(client_for, member, teammate, field):
    body = {
        "recipient": teammate.pk,
        "message": "Thank you.",
        "behaviour": "helped",
        "visibility": "team",
        "client_id": str(uuid.uuid4()),
    }
    del body[field]
    response = client_for(member).post(SEND, body, format="json")
    assert response.status_code == 400
    assert error_codes(response) == [(field, "required")]
    assert Acknowledgement.objects.count() == 0


def test_a_recipient_id_too_large_for_any_database_is_a_client_error(client_for, member):
    response = send(client_for(member), 10**20)
    assert response.status_code == 400
    assert [attr for attr, _ in error_codes(response)] == ["recipient"]
    assert Acknowledgement.objects.count() == 0


@pytest.mark.parametrize("body", [[], ["recipient"], "hello", 42])
def test_a_body_that_is_not_an_object_is_refused(client_for, member, body):
    response = client_for(member).post(SEND, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]
    assert Acknowledgement.objects.count() == 0


def test_a_body_that_is_not_json_is_refused(client_for, member):
    response = client_for(member).post(SEND, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]
    assert Acknowledgement.objects.count() == 0


# The daily limit


def test_past_the_daily_limit_the_next_one_waits_until_tomorrow(settings, client_for, member, teammate):
    settings.ACKNOWLEDGEMENT_DAILY_LIMIT = 2
    client = client_for(member)
    assert send(client, teammate.pk).status_code == 201
    assert send(client, teammate.pk).status_code == 201

    response = send(client, teammate.pk)

    assert response.status_code == 429
    assert error_codes(response) == [(None, "daily_limit_reached")]
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert Acknowledgement.objects.count() == 2


def test_a_retry_after_the_limit_still_returns_the_first_attempt(settings, client_for, member, teammate):
    settings.ACKNOWLEDGEMENT_DAILY_LIMIT = 1
    client = client_for(member)
    client_id = str(uuid.uuid4())
    first = send(client, teammate.pk, client_id=client_id)
    assert first.status_code == 201
    assert send(client, teammate.pk).status_code == 429

    retry = send(client, teammate.pk, client_id=client_id)

    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert Acknowledgement.objects.count() == 1


def test_the_daily_limit_is_per_sender(settings, client_for, member, teammate, lead):
    settings.ACKNOWLEDGEMENT_DAILY_LIMIT = 1
    assert send(client_for(member), lead.pk).status_code == 201
    assert send(client_for(teammate), lead.pk).status_code == 201
    assert Acknowledgement.objects.count() == 2


def test_a_refused_send_does_not_use_up_the_daily_limit(settings, client_for, member, teammate, outsider):
    settings.ACKNOWLEDGEMENT_DAILY_LIMIT = 1
    client = client_for(member)
    assert send(client, outsider.pk).status_code == 400
    assert send(client, member.pk).status_code == 400
    assert send(client, teammate.pk).status_code == 201


def test_yesterdays_local_sends_do_not_count_even_on_the_same_utc_day(settings, client_for, team, teammate):
    """Kiritimati is UTC+14: 09:00 UTC is 23:00 there, 11:00 UTC is already tomorrow."""
    settings.ACKNOWLEDGEMENT_DAILY_LIMIT = 1
    sender = MembershipFactory(team=team, user__time_zone="Pacific/Kiritimati").user

    with time_machine.travel(datetime(2025, 3, 10, 9, 0, tzinfo=UTC), tick=False):
        assert send(client_for(sender), teammate.pk).status_code == 201
    with time_machine.travel(datetime(2025, 3, 10, 11, 0, tzinfo=UTC), tick=False):
        response = send(client_for(sender), teammate.pk)

    assert response.status_code == 201
    assert Acknowledgement.objects.count() == 2


def test_the_same_local_day_counts_across_utc_midnight(settings, client_for, team, teammate):
    """Honolulu is UTC-10: 20:00 UTC and 05:00 UTC the next day are both on 10 March there."""
    settings.ACKNOWLEDGEMENT_DAILY_LIMIT = 1
    sender = MembershipFactory(team=team, user__time_zone="Pacific/Honolulu").user

    with time_machine.travel(datetime(2025, 3, 10, 20, 0, tzinfo=UTC), tick=False):
        assert send(client_for(sender), teammate.pk).status_code == 201
    with time_machine.travel(datetime(2025, 3, 11, 5, 0, tzinfo=UTC), tick=False):
        response = send(client_for(sender), teammate.pk)

    assert response.status_code == 429
    assert error_codes(response) == [(None, "daily_limit_reached")]
    # Local midnight in Honolulu is 10:00 UTC on 11 March: five hours away.
    assert response["Retry-After"] == str(5 * 3600)
    assert Acknowledgement.objects.count() == 1


# Received and sent lists


def test_my_received_list_is_newest_first(client_for, member, teammate, lead):
    oldest = AcknowledgementFactory(sender=teammate, recipient=member)
    middle = AcknowledgementFactory(sender=lead, recipient=member, visibility=TEAM)
    newest = AcknowledgementFactory(sender=teammate, recipient=member)

    response = client_for(member).get(RECEIVED)

    assert response.status_code == 200
    assert set(response.json()) == {"results", "next", "previous"}
    assert ids(response) == [newest.pk, middle.pk, oldest.pk]
    assert set(response.json()["results"][0]) == ACKNOWLEDGEMENT_FIELDS


def test_my_sent_list_is_newest_first(client_for, member, teammate, lead):
    oldest = AcknowledgementFactory(sender=member, recipient=teammate)
    newest = AcknowledgementFactory(sender=member, recipient=lead)
    response = client_for(member).get(SENT)
    assert response.status_code == 200
    assert ids(response) == [newest.pk, oldest.pk]


def test_the_received_list_holds_only_what_was_sent_to_me(client_for, member, teammate, lead):
    mine = AcknowledgementFactory(sender=teammate, recipient=member)
    AcknowledgementFactory(sender=member, recipient=teammate)  # sent by me, not received
    AcknowledgementFactory(sender=teammate, recipient=lead, visibility=TEAM)  # someone else's
    assert ids(client_for(member).get(RECEIVED)) == [mine.pk]


def test_the_sent_list_holds_only_what_i_sent(client_for, member, teammate, lead):
    mine = AcknowledgementFactory(sender=member, recipient=teammate)
    AcknowledgementFactory(sender=teammate, recipient=member)
    AcknowledgementFactory(sender=lead, recipient=teammate, visibility=TEAM)
    assert ids(client_for(member).get(SENT)) == [mine.pk]


@pytest.mark.parametrize("viewer_fixture", ["lead", "coach", "staff_admin", "outsider"])
def test_nobody_else_sees_my_private_acknowledgements_in_their_lists(
    request, client_for, member, teammate, viewer_fixture
):
    AcknowledgementFactory(sender=teammate, recipient=member)
    client = client_for(request.getfixturevalue(viewer_fixture))
    assert ids(client.get(RECEIVED)) == []
    assert ids(client.get(SENT)) == []


def test_my_lists_are_cursor_paginated(client_for, member, teammate):
    made = [AcknowledgementFactory(sender=teammate, recipient=member).pk for _ in range(3)]
    client = client_for(member)

    first = client.get(RECEIVED, {"limit": 2})
    assert first.status_code == 200
    assert ids(first) == [made[2], made[1]]
    assert first.json()["previous"] is None
    assert first.json()["next"]

    second = client.get(first.json()["next"])
    assert second.status_code == 200
    assert ids(second) == [made[0]]
    assert second.json()["next"] is None
    assert second.json()["previous"]


def test_a_forged_cursor_is_a_client_error(client_for, member):
    response = client_for(member).get(RECEIVED, {"cursor": "not-a-cursor"})
    assert 400 <= response.status_code < 500
    assert response.json()["errors"]


def test_only_the_recipient_sees_when_it_was_read(client_for, member, teammate):
    AcknowledgementFactory(sender=teammate, recipient=member, read_at=timezone.now())
    received = client_for(member).get(RECEIVED).json()["results"][0]
    sent = client_for(teammate).get(SENT).json()["results"][0]
    assert received["read_at"] is not None
    assert sent["read_at"] is None


def test_only_the_sender_sees_the_client_id(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=teammate, recipient=member)
    sent = client_for(teammate).get(SENT).json()["results"][0]
    received = client_for(member).get(RECEIVED).json()["results"][0]
    assert sent["client_id"] == str(acknowledgement.client_id)
    assert received["client_id"] is None


@pytest.mark.parametrize("url", [RECEIVED, SENT])
def test_my_lists_need_a_signed_in_person(anonymous, url):
    assert anonymous.get(url).status_code == 401


# The team feed


def test_the_team_feed_shows_team_visible_acknowledgements_sent_or_received_by_members(
    client_for, team, member, teammate, colleague
):
    between_members = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    sent_out = AcknowledgementFactory(sender=teammate, recipient=colleague, visibility=TEAM)
    received_in = AcknowledgementFactory(sender=colleague, recipient=member, visibility=TEAM)

    assert on_feed(client_for(member), team.pk) == [received_in.pk, sent_out.pk, between_members.pk]


def test_the_team_feed_item_has_the_documented_body(client_for, team, member, teammate):
    AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    item = client_for(teammate).get(feed_url(team.pk)).json()["results"][0]
    assert set(item) == ACKNOWLEDGEMENT_FIELDS | {"type"}
    assert item["type"] == "acknowledgement"
    assert item["on_team_feed"] is True
    assert item["client_id"] is None


def test_a_private_acknowledgement_never_reaches_the_team_feed(client_for, team, member, teammate, lead):
    AcknowledgementFactory(sender=member, recipient=teammate, visibility=PRIVATE)
    for viewer in (member, teammate, lead):
        assert on_feed(client_for(viewer), team.pk) == []


def test_acknowledgements_between_people_outside_the_team_are_not_on_its_feed(client_for, team, member, organisation):
    other_team = TeamFactory(organisation=organisation)
    one = MembershipFactory(team=other_team).user
    two = MembershipFactory(team=other_team).user
    AcknowledgementFactory(sender=one, recipient=two, visibility=TEAM)
    assert on_feed(client_for(member), team.pk) == []


def test_an_acknowledgement_the_recipient_hid_is_not_on_the_feed(client_for, team, member, teammate):
    AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM, hidden_by_recipient=True)
    assert on_feed(client_for(member), team.pk) == []


def test_a_reported_acknowledgement_is_not_on_the_feed(client_for, team, member, teammate):
    AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM, hidden_for_review=True)
    assert on_feed(client_for(member), team.pk) == []


@pytest.mark.parametrize("viewer_fixture", STRANGERS)
def test_only_members_can_read_a_team_feed(request, client_for, team, member, teammate, viewer_fixture):
    AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    response = client_for(request.getfixturevalue(viewer_fixture)).get(feed_url(team.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


def test_an_unknown_team_has_no_feed(client_for, member):
    response = client_for(member).get(feed_url(999_999))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


def test_the_team_feed_needs_a_signed_in_person(anonymous, team):
    assert anonymous.get(feed_url(team.pk)).status_code == 401


# Marking read


def test_the_recipient_marks_an_acknowledgement_read(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=teammate, recipient=member)
    response = client_for(member).post(read_url(acknowledgement.pk))
    assert response.status_code == 200
    assert response.json()["id"] == acknowledgement.pk
    assert response.json()["read_at"] is not None
    acknowledgement.refresh_from_db()
    assert acknowledgement.read_at is not None


def test_marking_read_lowers_the_unread_count_on_today(client_for, member, teammate):
    first = AcknowledgementFactory(sender=teammate, recipient=member)
    AcknowledgementFactory(sender=teammate, recipient=member)
    client = client_for(member)
    assert client.get("/api/v1/today").json()["unread_acknowledgements"] == 2

    assert client.post(read_url(first.pk)).status_code == 200

    assert client.get("/api/v1/today").json()["unread_acknowledgements"] == 1


def test_marking_read_twice_keeps_the_first_time(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=teammate, recipient=member)
    with time_machine.travel(datetime(2025, 3, 10, 9, 0, tzinfo=UTC), tick=False):
        first = client_for(member).post(read_url(acknowledgement.pk))
    with time_machine.travel(datetime(2025, 3, 10, 10, 0, tzinfo=UTC), tick=False):
        again = client_for(member).post(read_url(acknowledgement.pk))
    assert first.status_code == again.status_code == 200
    assert again.json()["read_at"] == first.json()["read_at"]
    acknowledgement.refresh_from_db()
    assert acknowledgement.read_at == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def test_the_sender_cannot_mark_it_read(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate)
    response = client_for(member).post(read_url(acknowledgement.pk))
    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_recipient")]
    acknowledgement.refresh_from_db()
    assert acknowledgement.read_at is None


def test_a_teammate_who_sees_it_on_the_feed_cannot_mark_it_read(client_for, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    response = client_for(lead).post(read_url(acknowledgement.pk))
    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_recipient")]
    acknowledgement.refresh_from_db()
    assert acknowledgement.read_at is None


@pytest.mark.parametrize("viewer_fixture", ["lead", *STRANGERS])
def test_someone_who_cannot_see_it_gets_404_when_marking_read(request, client_for, member, teammate, viewer_fixture):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=PRIVATE)
    response = client_for(request.getfixturevalue(viewer_fixture)).post(read_url(acknowledgement.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "acknowledgement_not_found")]
    acknowledgement.refresh_from_db()
    assert acknowledgement.read_at is None


@pytest.mark.parametrize("acknowledgement_id", ["999999", "99999999999999999999"])
def test_marking_an_unknown_acknowledgement_read_is_404(client_for, member, acknowledgement_id):
    response = client_for(member).post(read_url(acknowledgement_id))
    assert response.status_code == 404


def test_a_non_numeric_acknowledgement_id_is_404_in_the_api_shape(client_for, member):
    response = client_for(member).post(read_url("abc"))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "not_found")]


def test_marking_read_needs_a_signed_in_person(anonymous, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=teammate, recipient=member)
    assert anonymous.post(read_url(acknowledgement.pk)).status_code == 401
    acknowledgement.refresh_from_db()
    assert acknowledgement.read_at is None


# Reactions


def test_a_teammate_of_the_recipient_can_react_to_a_team_visible_acknowledgement(
    client_for, member, teammate, colleague
):
    acknowledgement = AcknowledgementFactory(sender=colleague, recipient=member, visibility=TEAM)
    response = client_for(teammate).post(reaction_url(acknowledgement.pk, "inspired"))
    assert response.status_code == 200
    assert response.json()["reactions"] == {"heart": 0, "clap": 0, "inspired": 1, "thanks": 0}
    assert response.json()["my_reactions"] == ["inspired"]
    assert Reaction.objects.filter(acknowledgement=acknowledgement, user=teammate, kind="inspired").count() == 1


def test_the_sender_and_recipient_can_react_to_a_private_one(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=PRIVATE)
    assert client_for(teammate).post(reaction_url(acknowledgement.pk, "thanks")).status_code == 200
    response = client_for(member).post(reaction_url(acknowledgement.pk, "heart"))
    assert response.status_code == 200
    assert response.json()["reactions"] == {"heart": 1, "clap": 0, "inspired": 0, "thanks": 1}
    assert response.json()["my_reactions"] == ["heart"]


def test_reacting_twice_is_one_reaction(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    client = client_for(teammate)
    assert client.post(reaction_url(acknowledgement.pk, "clap")).status_code == 200
    response = client.post(reaction_url(acknowledgement.pk, "clap"))
    assert response.status_code == 200
    assert response.json()["reactions"]["clap"] == 1
    assert Reaction.objects.count() == 1


def test_one_person_may_give_several_kinds(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    client = client_for(teammate)
    client.post(reaction_url(acknowledgement.pk, "thanks"))
    response = client.post(reaction_url(acknowledgement.pk, "clap"))
    assert response.json()["my_reactions"] == ["clap", "thanks"]


def test_my_reactions_lists_only_mine_while_counts_include_everyone(client_for, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    ReactionFactory(acknowledgement=acknowledgement, user=member, kind="heart")
    ReactionFactory(acknowledgement=acknowledgement, user=teammate, kind="heart")
    response = client_for(lead).post(reaction_url(acknowledgement.pk, "clap"))
    assert response.json()["reactions"] == {"heart": 2, "clap": 1, "inspired": 0, "thanks": 0}
    assert response.json()["my_reactions"] == ["clap"]


def test_reaction_counts_show_in_the_lists(client_for, team, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    ReactionFactory(acknowledgement=acknowledgement, user=lead, kind="thanks")
    item = client_for(member).get(feed_url(team.pk)).json()["results"][0]
    assert item["reactions"] == {"heart": 0, "clap": 0, "inspired": 0, "thanks": 1}
    assert item["my_reactions"] == []
    assert client_for(lead).get(feed_url(team.pk)).json()["results"][0]["my_reactions"] == ["thanks"]


def test_removing_a_reaction_takes_it_away(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    ReactionFactory(acknowledgement=acknowledgement, user=teammate, kind="heart")
    ReactionFactory(acknowledgement=acknowledgement, user=member, kind="heart")

    response = client_for(teammate).delete(reaction_url(acknowledgement.pk, "heart"))

    assert response.status_code == 200
    assert response.json()["reactions"]["heart"] == 1
    assert response.json()["my_reactions"] == []
    assert list(Reaction.objects.values_list("user_id", flat=True)) == [member.pk]


def test_removing_a_reaction_i_never_gave_is_harmless(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    ReactionFactory(acknowledgement=acknowledgement, user=member, kind="heart")
    response = client_for(teammate).delete(reaction_url(acknowledgement.pk, "heart"))
    assert response.status_code == 200
    assert Reaction.objects.count() == 1


@pytest.mark.parametrize("kind", ["love", "HEART", "x" * 5000])
@pytest.mark.parametrize("method", ["post", "delete"])
def test_an_unknown_reaction_kind_is_refused(client_for, member, teammate, kind, method):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    ReactionFactory(acknowledgement=acknowledgement, user=teammate, kind="heart")
    response = getattr(client_for(teammate), method)(reaction_url(acknowledgement.pk, kind))
    assert response.status_code == 400
    assert error_codes(response) == [("kind", "invalid_choice")]
    assert Reaction.objects.count() == 1


def test_a_private_acknowledgement_is_not_found_for_teammates_reacting(client_for, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=PRIVATE)
    response = client_for(lead).post(reaction_url(acknowledgement.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "acknowledgement_not_found")]
    assert Reaction.objects.count() == 0


@pytest.mark.parametrize("viewer_fixture", STRANGERS)
def test_people_outside_the_team_cannot_react_to_a_team_visible_one(
    request, client_for, member, teammate, viewer_fixture
):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    response = client_for(request.getfixturevalue(viewer_fixture)).post(reaction_url(acknowledgement.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "acknowledgement_not_found")]
    assert Reaction.objects.count() == 0


@pytest.mark.parametrize("viewer_fixture", STRANGERS)
def test_people_outside_the_team_cannot_remove_a_reaction(request, client_for, member, teammate, viewer_fixture):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    ReactionFactory(acknowledgement=acknowledgement, user=member, kind="heart")
    response = client_for(request.getfixturevalue(viewer_fixture)).delete(reaction_url(acknowledgement.pk))
    assert response.status_code == 404
    assert Reaction.objects.count() == 1


def test_once_hidden_teammates_can_no_longer_react(client_for, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(
        sender=member, recipient=teammate, visibility=TEAM, hidden_by_recipient=True
    )
    response = client_for(lead).post(reaction_url(acknowledgement.pk))
    assert response.status_code == 404
    assert Reaction.objects.count() == 0


def test_reacting_to_an_unknown_acknowledgement_is_404(client_for, member):
    response = client_for(member).post(reaction_url(999_999))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "acknowledgement_not_found")]


@pytest.mark.parametrize("method", ["post", "delete"])
def test_reacting_needs_a_signed_in_person(anonymous, member, teammate, method):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    ReactionFactory(acknowledgement=acknowledgement, user=member, kind="heart")
    assert getattr(anonymous, method)(reaction_url(acknowledgement.pk)).status_code == 401
    assert Reaction.objects.count() == 1


# Hiding


def test_the_recipient_hides_it_from_the_team_feed(client_for, team, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    response = client_for(teammate).post(hide_url(acknowledgement.pk))
    assert response.status_code == 200
    assert response.json()["on_team_feed"] is False
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_by_recipient is True
    assert on_feed(client_for(member), team.pk) == []


def test_a_hidden_acknowledgement_stays_in_the_senders_and_recipients_lists(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    assert client_for(teammate).post(hide_url(acknowledgement.pk)).status_code == 200
    assert ids(client_for(teammate).get(RECEIVED)) == [acknowledgement.pk]
    assert ids(client_for(member).get(SENT)) == [acknowledgement.pk]


def test_hiding_twice_is_harmless(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    client = client_for(teammate)
    assert client.post(hide_url(acknowledgement.pk)).status_code == 200
    assert client.post(hide_url(acknowledgement.pk)).status_code == 200
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_by_recipient is True


def test_the_sender_cannot_hide_it(client_for, team, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    response = client_for(member).post(hide_url(acknowledgement.pk))
    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_recipient")]
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_by_recipient is False
    assert on_feed(client_for(member), team.pk) == [acknowledgement.pk]


def test_a_lead_cannot_hide_a_members_acknowledgement(client_for, team, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    response = client_for(lead).post(hide_url(acknowledgement.pk))
    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_recipient")]
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_by_recipient is False


@pytest.mark.parametrize("viewer_fixture", STRANGERS)
def test_people_outside_the_team_get_404_when_hiding(request, client_for, member, teammate, viewer_fixture):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    response = client_for(request.getfixturevalue(viewer_fixture)).post(hide_url(acknowledgement.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "acknowledgement_not_found")]
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_by_recipient is False


def test_a_lead_gets_404_when_hiding_a_private_one(client_for, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=PRIVATE)
    response = client_for(lead).post(hide_url(acknowledgement.pk))
    assert response.status_code == 404
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_by_recipient is False


def test_hiding_needs_a_signed_in_person(anonymous, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    assert anonymous.post(hide_url(acknowledgement.pk)).status_code == 401
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_by_recipient is False


# Reporting


def test_a_teammate_reports_an_acknowledgement_and_it_leaves_the_feed(client_for, team, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    response = client_for(lead).post(report_url(acknowledgement.pk), {"reason": "Sarcastic."}, format="json")

    assert response.status_code == 201
    assert set(response.json()) == {"acknowledgement", "created_at"}
    assert response.json()["acknowledgement"] == acknowledgement.pk
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.resolved_at) == (lead, "Sarcastic.", None)
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_for_review is True
    assert on_feed(client_for(member), team.pk) == []


def test_a_report_needs_no_reason(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate)
    response = client_for(teammate).post(report_url(acknowledgement.pk), {}, format="json")
    assert response.status_code == 201
    assert Report.objects.get().reason == ""


def test_a_reported_acknowledgement_stays_in_the_senders_and_recipients_lists(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    assert client_for(teammate).post(report_url(acknowledgement.pk), {}, format="json").status_code == 201
    assert ids(client_for(teammate).get(RECEIVED)) == [acknowledgement.pk]
    assert ids(client_for(member).get(SENT)) == [acknowledgement.pk]


def test_the_recipient_reporting_twice_is_one_report(client_for, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    client = client_for(teammate)
    first = client.post(report_url(acknowledgement.pk), {"reason": "First."}, format="json")
    again = client.post(report_url(acknowledgement.pk), {"reason": "Second."}, format="json")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert list(Report.objects.values_list("reason", flat=True)) == ["First."]


def test_a_teammate_retrying_a_report_gets_the_same_answer_and_one_report(client_for, member, teammate, lead):
    """Every POST a phone may retry is idempotent: the retry must not fail because the first
    attempt already took the acknowledgement off the feed."""
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    client = client_for(lead)
    first = client.post(report_url(acknowledgement.pk), {"reason": "Unkind."}, format="json")
    again = client.post(report_url(acknowledgement.pk), {"reason": "Unkind."}, format="json")
    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Report.objects.count() == 1


def test_two_people_reporting_make_two_reports(client_for, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    ReportFactory(acknowledgement=acknowledgement, reporter=teammate)
    assert client_for(member).post(report_url(acknowledgement.pk), {}, format="json").status_code == 201
    assert Report.objects.count() == 2


def test_a_report_reason_over_500_characters_is_refused(client_for, team, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    response = client_for(lead).post(report_url(acknowledgement.pk), {"reason": "a" * 501}, format="json")
    assert response.status_code == 400
    assert error_codes(response) == [("reason", "max_length")]
    assert Report.objects.count() == 0
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_for_review is False
    assert on_feed(client_for(member), team.pk) == [acknowledgement.pk]


@pytest.mark.parametrize("reason", [{"why": "x"}, ["x"], None])
def test_a_report_reason_of_the_wrong_type_is_refused(client_for, member, teammate, reason):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    response = client_for(teammate).post(report_url(acknowledgement.pk), {"reason": reason}, format="json")
    assert response.status_code == 400
    assert [attr for attr, _ in error_codes(response)] == ["reason"]
    assert Report.objects.count() == 0
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_for_review is False


def test_a_teammate_cannot_report_a_private_one_they_cannot_see(client_for, member, teammate, lead):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=PRIVATE)
    response = client_for(lead).post(report_url(acknowledgement.pk), {}, format="json")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "acknowledgement_not_found")]
    assert Report.objects.count() == 0
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_for_review is False


@pytest.mark.parametrize("viewer_fixture", STRANGERS)
def test_people_outside_the_team_cannot_report(request, client_for, member, teammate, viewer_fixture):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    client = client_for(request.getfixturevalue(viewer_fixture))
    response = client.post(report_url(acknowledgement.pk), {}, format="json")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "acknowledgement_not_found")]
    assert Report.objects.count() == 0
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_for_review is False


def test_reporting_an_unknown_acknowledgement_is_404(client_for, member):
    response = client_for(member).post(report_url(999_999), {}, format="json")
    assert response.status_code == 404
    assert Report.objects.count() == 0


def test_reporting_needs_a_signed_in_person(anonymous, member, teammate):
    acknowledgement = AcknowledgementFactory(sender=member, recipient=teammate, visibility=TEAM)
    assert anonymous.post(report_url(acknowledgement.pk), {}, format="json").status_code == 401
    assert Report.objects.count() == 0
    acknowledgement.refresh_from_db()
    assert acknowledgement.hidden_for_review is False
