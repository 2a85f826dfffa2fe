""" "Leave it with me": posting a problem nobody owns, claiming it, releasing it, marking it done,
a lead reopening a quiet claim; who may do each, what every illegal step answers, what the team
sees on its feed, the jump-in acknowledgement, the nudges, and the team's weekly figures."""

import base64
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from acknowledgements.factories import AcknowledgementFactory
from acknowledgements.models import Acknowledgement
from common.errors import Conflict
from events.models import Event
from nudges.delivery import nudges_deliver
from nudges.models import Kind, Nudge
from orphans.factories import OrphanFactory
from orphans.models import Activity, Orphan
from orphans.services import orphan_claim, orphan_done, orphan_post, orphan_release, orphan_reopen
from teams.factories import CoachAssignmentFactory, MembershipFactory, TeamFactory
from teams.models import Membership
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

ORPHAN_FIELDS = {
    "id",
    "team_id",
    "title",
    "detail",
    "status",
    "posted_by",
    "claimed_by",
    "claimed_at",
    "check_back",
    "done_at",
    "done_note",
    "created_at",
    "last_activity_at",
}
WEEK_FIELDS = {"week", "starts_on", "posted", "claimed", "done", "median_minutes_to_claim"}

# Not in the conftest team, whatever their standing elsewhere.
STRANGERS = ["coach", "team_coach", "colleague", "lead_elsewhere", "outsider", "staff_admin"]
# In the team but not the claimant (the claimant is `teammate`; the poster is `member`).
NOT_THE_CLAIMANT = ["member", "lead", "third"]

OPEN, CLAIMED, DONE = Orphan.Status.OPEN, Orphan.Status.CLAIMED, Orphan.Status.DONE
PENDING, SENT, SKIPPED = Nudge.Status.PENDING, Nudge.Status.SENT, Nudge.Status.SKIPPED


# Helpers


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def team_orphans_url(team_id) -> str:
    return f"/api/v1/teams/{team_id}/orphans"


def stats_url(team_id) -> str:
    return f"/api/v1/teams/{team_id}/orphans/stats"


def feed_url(team_id) -> str:
    return f"/api/v1/teams/{team_id}/feed"


def orphan_url(orphan_id) -> str:
    return f"/api/v1/orphans/{orphan_id}"


def action_url(orphan_id, action: str) -> str:
    return f"/api/v1/orphans/{orphan_id}/{action}"


def act(client, orphan_id, action: str, body: dict | None = None):
    return client.post(action_url(orphan_id, action), body or {}, format="json")


def post(user, team, title: str = "The staging certificate expires on Friday", detail: str = "") -> Orphan:
    orphan, _ = orphan_post(user=user, team_id=team.pk, title=title, detail=detail, client_id=uuid.uuid4())
    return orphan


def post_body(**overrides) -> dict:
    body = {
        "title": "Nobody answers the support inbox on Fridays",
        "detail": "Customers wait until Monday.",
        "client_id": str(uuid.uuid4()),
    }
    body.update(overrides)
    return body


def fresh(orphan) -> Orphan:
    return Orphan.objects.get(pk=orphan.pk)


def kinds(orphan) -> list[str]:
    return list(Activity.objects.filter(orphan=orphan).order_by("created_at", "pk").values_list("kind", flat=True))


def events_of(type_: str) -> list[Event]:
    return list(Event.objects.filter(type=type_).order_by("user_id", "number"))


def snapshot() -> tuple:
    """Everything a transition could write: every orphan's state and every row it could add."""
    orphans = list(
        Orphan.objects.order_by("pk").values_list(
            "pk",
            "status",
            "claimed_by_id",
            "claimed_at",
            "first_claimed_at",
            "done_at",
            "done_note",
            "last_activity_at",
        )
    )
    return (
        orphans,
        Activity.objects.count(),
        Event.objects.count(),
        Nudge.objects.count(),
        Acknowledgement.objects.count(),
    )


@contextmanager
def nothing_written():
    before = snapshot()
    yield
    assert snapshot() == before


def jump_in_body(recipient, orphan_id, **overrides) -> dict:
    body = {
        "recipient": recipient.pk,
        "message": "You took the certificate renewal on without being asked. Thank you.",
        "behaviour": "jumped_in",
        "visibility": "team",
        "client_id": str(uuid.uuid4()),
        "orphan": orphan_id,
    }
    body.update(overrides)
    return body


def acknowledge(client, recipient, orphan_id, **overrides):
    return client.post("/api/v1/acknowledgements", jump_in_body(recipient, orphan_id, **overrides), format="json")


def person(user) -> dict:
    return {"id": user.pk, "display_name": user.display_name}


def parsed(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def deliver(now: datetime) -> int:
    with at(now):
        return nudges_deliver(now=now)


def all_pages(client, url: str, params: dict | None = None) -> tuple[list[dict], int]:
    """Every item, following `next` links; and how many pages it took."""
    response = client.get(url, params or {})
    assert response.status_code == 200
    items, pages = list(response.json()["results"]), 1
    while response.json()["next"]:
        response = client.get(response.json()["next"])
        assert response.status_code == 200
        items += response.json()["results"]
        pages += 1
        assert pages < 100, "the cursor does not move on"
    return items, pages


def feed_key(item: dict) -> tuple[str, int]:
    return ("acknowledgement" if item["type"] == "acknowledgement" else "orphan", item["id"])


# The world beyond the conftest team


@pytest.fixture
def third(team):
    """A third member of the team: neither poster nor claimant nor lead."""
    return MembershipFactory(team=team).user


@pytest.fixture
def team_coach(organisation, team):
    """A coach assigned to this very team: sees figures elsewhere, never a person or a text."""
    return CoachAssignmentFactory(organisation=organisation, team=team).coach


@pytest.fixture
def lead_elsewhere(organisation):
    """The lead of another team in the same organisation."""
    return MembershipFactory(team=TeamFactory(organisation=organisation), role=Membership.Role.LEAD).user


@pytest.fixture
def other_team(organisation):
    return TeamFactory(organisation=organisation)


@pytest.fixture
def orphan(team, member, teammate, lead):
    """Posted by `member` to the team (teammate and lead already in it), open."""
    return post(member, team)


@pytest.fixture
def claimed(orphan, teammate):
    """Claimed by `teammate`."""
    return orphan_claim(user=teammate, orphan_id=orphan.pk)


@pytest.fixture
def done(claimed, teammate):
    return orphan_done(user=teammate, orphan_id=claimed.pk, note="Renewed for a year.")


@pytest.fixture
def stale(team, member, teammate, lead):
    """Posted and claimed by `teammate` 15 days ago; nothing since."""
    with at(timezone.now() - timedelta(days=15)):
        orphan = post(member, team)
        return orphan_claim(user=teammate, orphan_id=orphan.pk)


# Posting


def test_a_member_posts_an_orphan_and_it_is_open_on_their_team(client_for, member, team):
    body = post_body()
    response = client_for(member).post(team_orphans_url(team.pk), body, format="json")

    assert response.status_code == 201
    shown = response.json()
    assert set(shown) == ORPHAN_FIELDS
    assert shown["team_id"] == team.pk
    assert shown["title"] == body["title"]
    assert shown["detail"] == body["detail"]
    assert shown["status"] == "open"
    assert shown["posted_by"] == person(member)
    assert (shown["claimed_by"], shown["claimed_at"], shown["done_at"], shown["done_note"]) == (None, None, None, "")
    saved = Orphan.objects.get()
    assert (saved.pk, saved.team, saved.posted_by, saved.status) == (shown["id"], team, member, OPEN)
    assert str(saved.client_id) == body["client_id"]


def test_posting_records_a_posted_moment_by_the_poster(client_for, member, team):
    response = client_for(member).post(team_orphans_url(team.pk), post_body(), format="json")
    assert response.status_code == 201
    activity = Activity.objects.get()
    assert (activity.orphan_id, activity.kind, activity.actor) == (response.json()["id"], "posted", member)


def test_posting_tells_nobody_yet(client_for, member, teammate, lead, team):
    response = client_for(member).post(team_orphans_url(team.pk), post_body(), format="json")
    assert response.status_code == 201
    assert Event.objects.count() == 0
    # Only the lead's "still nobody's" nudge, a week from now.
    assert list(Nudge.objects.values_list("user", "kind")) == [(lead.pk, Kind.ORPHAN_UNCLAIMED)]
    assert Nudge.objects.get().due_at > timezone.now() + timedelta(days=6)


@pytest.mark.parametrize("role", ["member", "teammate", "lead"])
def test_any_member_of_the_team_can_post_an_orphan(request, client_for, team, role):
    user = request.getfixturevalue(role)
    response = client_for(user).post(team_orphans_url(team.pk), post_body(), format="json")
    assert response.status_code == 201
    assert Orphan.objects.get().posted_by == user


def test_the_detail_is_optional(client_for, member, team):
    body = post_body()
    del body["detail"]
    response = client_for(member).post(team_orphans_url(team.pk), body, format="json")
    assert response.status_code == 201
    assert response.json()["detail"] == ""


def test_a_title_of_140_characters_and_a_detail_of_2000_are_fine(client_for, member, team):
    response = client_for(member).post(
        team_orphans_url(team.pk), post_body(title="t" * 140, detail="d" * 2000), format="json"
    )
    assert response.status_code == 201
    saved = Orphan.objects.get()
    assert (len(saved.title), len(saved.detail)) == (140, 2000)


def test_the_title_and_detail_are_kept_without_surrounding_spaces(client_for, member, team):
    response = client_for(member).post(
        team_orphans_url(team.pk), post_body(title="  Flaky deploys  ", detail="\n Twice a week. \n"), format="json"
    )
    assert response.status_code == 201
    assert (response.json()["title"], response.json()["detail"]) == ("Flaky deploys", "Twice a week.")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"title": ""}, ("title", "blank")),
        ({"title": "   \n\t "}, ("title", "blank")),
        ({"title": "t" * 141}, ("title", "max_length")),
        ({"title": "t" * 100_000}, ("title", "max_length")),
        ({"title": None}, ("title", "null")),
        ({"title": {"text": "Flaky deploys"}}, ("title", "invalid")),
        ({"title": ["Flaky deploys"]}, ("title", "invalid")),
        ({"detail": "d" * 2001}, ("detail", "max_length")),
        ({"detail": "d" * 100_000}, ("detail", "max_length")),
        ({"detail": None}, ("detail", "null")),
        ({"detail": {"more": "text"}}, ("detail", "invalid")),
        ({"client_id": "not-a-uuid"}, ("client_id", "invalid")),
        ({"client_id": "123e4567-e89b-12d3-a456-42661417400"}, ("client_id", "invalid")),
        ({"client_id": None}, ("client_id", "null")),
    ],
)
def test_nonsense_when_posting_is_400_on_the_field_and_saves_nothing(client_for, member, team, overrides, expected):
    with nothing_written():
        response = client_for(member).post(team_orphans_url(team.pk), post_body(**overrides), format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert error_codes(response) == [expected]
    assert Orphan.objects.count() == 0


@pytest.mark.parametrize("missing", ["title", "client_id"])
def test_posting_without_a_title_or_client_id_is_400_required(client_for, member, team, missing):
    body = post_body()
    del body[missing]
    with nothing_written():
        response = client_for(member).post(team_orphans_url(team.pk), body, format="json")
    assert response.status_code == 400
    assert error_codes(response) == [(missing, "required")]


def test_a_body_that_is_not_an_object_is_400(client_for, member, team):
    with nothing_written():
        response = client_for(member).post(team_orphans_url(team.pk), [post_body()], format="json")
    assert response.status_code == 400
    assert error_codes(response) == [("non_field_errors", "invalid")]


def test_posting_again_with_the_same_client_id_answers_200_with_the_same_orphan(client_for, member, team):
    client, body = client_for(member), post_body()
    first = client.post(team_orphans_url(team.pk), body, format="json")
    again = client.post(team_orphans_url(team.pk), body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Orphan.objects.count() == 1
    assert Activity.objects.count() == 1


def test_a_retry_with_the_same_client_id_returns_the_first_orphan(client_for, member, team):
    client, body = client_for(member), post_body(title="First words")
    first = client.post(team_orphans_url(team.pk), body, format="json")
    again = client.post(team_orphans_url(team.pk), body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert fresh(Orphan.objects.get()).title == "First words"


def test_two_people_may_happen_to_use_the_same_client_id(client_for, member, teammate, team):
    body = post_body()
    first = client_for(member).post(team_orphans_url(team.pk), body, format="json")
    second = client_for(teammate).post(team_orphans_url(team.pk), body, format="json")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_reusing_a_client_id_for_another_of_ones_teams_is_409_and_saves_nothing(client_for, member, team, other_team):
    MembershipFactory(team=other_team, user=member)
    body = post_body()
    client = client_for(member)
    assert client.post(team_orphans_url(team.pk), body, format="json").status_code == 201
    with nothing_written():
        response = client.post(team_orphans_url(other_team.pk), body, format="json")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "idempotency_conflict")]


@pytest.mark.parametrize("stranger", STRANGERS)
def test_someone_outside_the_team_cannot_post_to_it(request, client_for, team, stranger):
    with nothing_written():
        client = client_for(request.getfixturevalue(stranger))
        response = client.post(team_orphans_url(team.pk), post_body(), format="json")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


def test_a_member_cannot_post_to_another_team_of_their_organisation(client_for, member, other_team):
    with nothing_written():
        response = client_for(member).post(team_orphans_url(other_team.pk), post_body(), format="json")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


@pytest.mark.parametrize("team_id", ["999999", "999999999999999999"])
def test_posting_to_an_unknown_team_is_404(client_for, member, team_id):
    with nothing_written():
        response = client_for(member).post(team_orphans_url(team_id), post_body(), format="json")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


def test_posting_needs_a_signed_in_person(anonymous, team):
    with nothing_written():
        response = anonymous.post(team_orphans_url(team.pk), post_body(), format="json")
    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]


# Listing and reading


@pytest.mark.parametrize("role", ["member", "teammate", "lead"])
def test_team_members_list_the_teams_orphans_newest_first(request, client_for, team, member, teammate, lead, role):
    first, second = post(member, team, "First"), post(teammate, team, "Second")
    OrphanFactory(team=TeamFactory(organisation=team.organisation))  # another team's
    response = client_for(request.getfixturevalue(role)).get(team_orphans_url(team.pk))
    assert response.status_code == 200
    assert [o["id"] for o in response.json()["results"]] == [second.pk, first.pk]
    assert all(set(o) == ORPHAN_FIELDS for o in response.json()["results"])


@pytest.mark.parametrize("status", ["open", "claimed", "done"])
def test_the_list_can_be_filtered_by_status(client_for, member, teammate, team, status):
    open_one = post(member, team, "Still open")
    claimed_one = orphan_claim(user=teammate, orphan_id=post(member, team, "Taken").pk)
    done_one = orphan_done(user=teammate, orphan_id=orphan_claim(user=teammate, orphan_id=post(member, team).pk).pk)
    expected = {"open": open_one, "claimed": claimed_one, "done": done_one}[status]

    response = client_for(member).get(team_orphans_url(team.pk), {"status": status})
    assert response.status_code == 200
    assert [(o["id"], o["status"]) for o in response.json()["results"]] == [(expected.pk, status)]


@pytest.mark.parametrize("status", ["closed", "OPEN", "1", "open,done"])
def test_an_unknown_status_filter_is_400(client_for, member, team, orphan, status):
    response = client_for(member).get(team_orphans_url(team.pk), {"status": status})
    assert response.status_code == 400
    assert error_codes(response) == [("status", "invalid_choice")]


def test_the_list_pages_on_with_a_cursor_and_keeps_the_filter(client_for, member, team):
    posted = [post(member, team, f"Orphan {n}") for n in range(25)]
    items, pages = all_pages(client_for(member), team_orphans_url(team.pk), {"status": "open"})
    assert pages == 2
    assert [o["id"] for o in items] == [o.pk for o in reversed(posted)]


@pytest.mark.parametrize("stranger", STRANGERS)
def test_someone_outside_the_team_cannot_list_its_orphans(request, client_for, team, orphan, stranger):
    response = client_for(request.getfixturevalue(stranger)).get(team_orphans_url(team.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


def test_listing_an_unknown_team_is_404(client_for, member):
    response = client_for(member).get(team_orphans_url(999999))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


@pytest.mark.parametrize("role", ["member", "teammate", "lead", "third"])
def test_every_member_of_the_team_reads_one_orphan(request, client_for, claimed, teammate, role):
    response = client_for(request.getfixturevalue(role)).get(orphan_url(claimed.pk))
    assert response.status_code == 200
    shown = response.json()
    assert set(shown) == ORPHAN_FIELDS
    assert (shown["id"], shown["status"], shown["claimed_by"]) == (claimed.pk, "claimed", person(teammate))


def test_an_orphan_never_shows_anyones_email(client_for, member, teammate, claimed):
    response = client_for(member).get(orphan_url(claimed.pk))
    assert response.status_code == 200
    assert member.email not in response.content.decode()
    assert teammate.email not in response.content.decode()


@pytest.mark.parametrize("stranger", STRANGERS)
def test_someone_outside_the_team_cannot_read_its_orphan(request, client_for, orphan, stranger):
    response = client_for(request.getfixturevalue(stranger)).get(orphan_url(orphan.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "orphan_not_found")]


def test_a_member_cannot_read_another_teams_orphan_in_their_organisation(client_for, member, other_team):
    elsewhere = OrphanFactory(team=other_team)
    response = client_for(member).get(orphan_url(elsewhere.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "orphan_not_found")]


def test_a_member_cannot_read_an_orphan_of_another_organisation(client_for, member):
    response = client_for(member).get(orphan_url(OrphanFactory().pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "orphan_not_found")]


@pytest.mark.parametrize("orphan_id", ["999999", "999999999999999999"])
def test_reading_an_unknown_orphan_is_404(client_for, member, orphan_id):
    response = client_for(member).get(orphan_url(orphan_id))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "orphan_not_found")]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/orphans/abc"),
        ("post", "/api/v1/orphans/abc/claim"),
        ("get", "/api/v1/teams/abc/orphans"),
        ("get", "/api/v1/teams/1.5/orphans/stats"),
        ("get", "/api/v1/orphans/99999999999999999999"),
        ("post", "/api/v1/orphans/99999999999999999999/claim"),
        ("post", "/api/v1/teams/99999999999999999999/orphans"),
        ("get", "/api/v1/teams/99999999999999999999/orphans/stats"),
        ("get", "/api/v1/teams/99999999999999999999/feed"),
    ],
)
def test_an_id_that_is_no_id_is_404_in_the_api_shape(client_for, member, method, path):
    with nothing_written():
        response = getattr(client_for(member), method)(path, {}, format="json")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "not_found")]


# Who needs to be signed in


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/teams/{team}/orphans"),
        ("get", "/api/v1/teams/{team}/orphans/stats"),
        ("get", "/api/v1/teams/{team}/feed"),
        ("get", "/api/v1/orphans/{orphan}"),
        ("post", "/api/v1/orphans/{orphan}/claim"),
        ("post", "/api/v1/orphans/{orphan}/release"),
        ("post", "/api/v1/orphans/{orphan}/done"),
        ("post", "/api/v1/orphans/{orphan}/reopen"),
    ],
)
def test_every_orphan_endpoint_needs_a_signed_in_person(anonymous, team, stale, method, path):
    with nothing_written():
        response = getattr(anonymous, method)(path.format(team=team.pk, orphan=stale.pk), {}, format="json")
    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]


# Claiming: "leave it with me"


def test_a_teammate_claims_an_open_orphan(client_for, orphan, teammate):
    response = act(client_for(teammate), orphan.pk, "claim")

    assert response.status_code == 200
    shown = response.json()
    assert (shown["status"], shown["claimed_by"]) == ("claimed", person(teammate))
    saved = fresh(orphan)
    assert (saved.status, saved.claimed_by) == (CLAIMED, teammate)
    assert saved.claimed_at is not None
    assert saved.first_claimed_at == saved.claimed_at == saved.last_activity_at
    assert parsed(shown["claimed_at"]) == saved.claimed_at


def test_a_claim_is_recorded_as_a_claimed_moment_by_the_claimant(client_for, orphan, teammate):
    assert act(client_for(teammate), orphan.pk, "claim").status_code == 200
    claim = Activity.objects.get(orphan=orphan, kind="claimed")
    assert claim.actor == teammate
    assert kinds(orphan) == ["posted", "claimed"]


@pytest.mark.parametrize("role", ["member", "teammate", "lead", "third"])
def test_any_member_of_the_team_including_the_poster_and_the_lead_can_claim(request, client_for, orphan, role):
    user = request.getfixturevalue(role)
    response = act(client_for(user), orphan.pk, "claim")
    assert response.status_code == 200
    assert fresh(orphan).claimed_by == user


def test_the_poster_hears_when_a_teammate_claims_their_orphan(client_for, orphan, member, teammate, team):
    assert act(client_for(teammate), orphan.pk, "claim").status_code == 200
    (event,) = events_of("orphan.claimed")
    assert event.user == member
    assert event.data == {
        "orphan_id": orphan.pk,
        "team_id": team.pk,
        "title": orphan.title,
        "claimed_by": person(teammate),
    }


def test_only_the_poster_hears_about_a_claim(client_for, orphan, member, teammate, lead, third):
    assert act(client_for(teammate), orphan.pk, "claim").status_code == 200
    assert list(Event.objects.values_list("user_id", flat=True)) == [member.pk]


def test_the_poster_gets_an_orphan_claimed_nudge_due_at_once(client_for, orphan, member, teammate):
    before = timezone.now()
    assert act(client_for(teammate), orphan.pk, "claim").status_code == 200
    nudge = Nudge.objects.get(kind=Kind.ORPHAN_CLAIMED)
    assert nudge.user == member
    assert before <= nudge.due_at <= timezone.now()
    assert nudge.context["orphan_id"] == orphan.pk


def test_claiming_ones_own_orphan_tells_nobody(client_for, orphan, member):
    response = act(client_for(member), orphan.pk, "claim")
    assert response.status_code == 200
    assert fresh(orphan).claimed_by == member
    assert Event.objects.count() == 0
    assert not Nudge.objects.filter(kind=Kind.ORPHAN_CLAIMED).exists()


def test_claiming_again_by_the_claimant_answers_200_as_the_first_time(client_for, orphan, teammate):
    client = client_for(teammate)
    first = act(client, orphan.pk, "claim")
    with nothing_written():
        again = act(client, orphan.pk, "claim")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()


def test_claiming_an_orphan_someone_else_claimed_is_409_already_claimed(client_for, claimed, teammate, lead):
    with nothing_written():
        response = act(client_for(lead), claimed.pk, "claim")
    assert response.status_code == 409
    assert response.json()["type"] == "client_error"
    assert error_codes(response) == [(None, "already_claimed")]
    assert fresh(claimed).claimed_by == teammate


@pytest.mark.parametrize("role", ["teammate", "member", "lead"])
def test_claiming_a_done_orphan_is_409_already_done_even_for_its_claimant(request, client_for, done, role):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(role)), done.pk, "claim")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "already_done")]


def test_a_released_orphan_can_be_claimed_by_someone_else(client_for, claimed, teammate, lead):
    first_claimed_at = fresh(claimed).first_claimed_at
    orphan_release(user=teammate, orphan_id=claimed.pk)
    response = act(client_for(lead), claimed.pk, "claim")
    assert response.status_code == 200
    saved = fresh(claimed)
    assert (saved.status, saved.claimed_by) == (CLAIMED, lead)
    assert saved.first_claimed_at == first_claimed_at
    assert saved.claimed_at > first_claimed_at


@pytest.mark.parametrize("stranger", STRANGERS)
def test_someone_outside_the_team_cannot_claim(request, client_for, orphan, stranger):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(stranger)), orphan.pk, "claim")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "orphan_not_found")]


def test_a_member_cannot_claim_another_teams_orphan(client_for, member, other_team, colleague):
    elsewhere = post(colleague, colleague.memberships.get().team)
    with nothing_written():
        response = act(client_for(member), elsewhere.pk, "claim")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "orphan_not_found")]


@pytest.mark.parametrize("action", ["claim", "release", "done", "reopen"])
@pytest.mark.parametrize("orphan_id", ["999999", "999999999999999999"])
def test_a_transition_on_an_unknown_orphan_is_404(client_for, lead, action, orphan_id):
    with nothing_written():
        response = act(client_for(lead), orphan_id, action)
    assert response.status_code == 404
    assert error_codes(response) == [(None, "orphan_not_found")]


# Releasing


def test_the_claimant_releases_and_the_orphan_is_open_again(client_for, claimed, teammate):
    response = act(client_for(teammate), claimed.pk, "release")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["claimed_by"], response.json()["claimed_at"]) == (
        "open",
        None,
        None,
    )
    saved = fresh(claimed)
    assert (saved.status, saved.claimed_by, saved.claimed_at) == (OPEN, None, None)
    assert kinds(claimed) == ["posted", "claimed", "released"]
    assert Activity.objects.get(kind="released").actor == teammate


def test_a_release_tells_nobody(client_for, claimed, teammate):
    events = Event.objects.count()
    assert act(client_for(teammate), claimed.pk, "release").status_code == 200
    assert Event.objects.count() == events


def test_releasing_twice_answers_200_as_the_first_time(client_for, claimed, teammate):
    client = client_for(teammate)
    first = act(client, claimed.pk, "release")
    with nothing_written():
        again = act(client, claimed.pk, "release")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()


@pytest.mark.parametrize("role", NOT_THE_CLAIMANT)
def test_releasing_someone_elses_claim_is_409_not_your_claim(request, client_for, claimed, teammate, role):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(role)), claimed.pk, "release")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "not_your_claim")]
    assert fresh(claimed).claimed_by == teammate


@pytest.mark.parametrize("role", ["member", "teammate", "lead"])
def test_releasing_an_orphan_nobody_claimed_is_409_not_claimed(request, client_for, orphan, role):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(role)), orphan.pk, "release")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "not_claimed")]


def test_the_claimant_cannot_release_what_they_already_finished(client_for, done, teammate):
    with nothing_written():
        response = act(client_for(teammate), done.pk, "release")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "already_done")]


@pytest.mark.parametrize("role", NOT_THE_CLAIMANT)
def test_releasing_someone_elses_finished_orphan_is_409_not_your_claim(request, client_for, done, role):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(role)), done.pk, "release")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "not_your_claim")]


def test_a_former_claimant_cannot_release_a_claim_someone_else_took_since(client_for, claimed, teammate, lead):
    orphan_release(user=teammate, orphan_id=claimed.pk)
    orphan_claim(user=lead, orphan_id=claimed.pk)
    with nothing_written():
        response = act(client_for(teammate), claimed.pk, "release")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "not_your_claim")]
    assert fresh(claimed).claimed_by == lead


@pytest.mark.parametrize("stranger", STRANGERS)
def test_someone_outside_the_team_cannot_release(request, client_for, claimed, stranger):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(stranger)), claimed.pk, "release")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "orphan_not_found")]


# Marking done


def test_the_claimant_marks_it_done_with_a_note(client_for, claimed, teammate):
    response = act(client_for(teammate), claimed.pk, "done", {"note": "  Renewed until next June.  "})
    assert response.status_code == 200
    shown = response.json()
    assert (shown["status"], shown["claimed_by"]) == ("done", person(teammate))
    assert shown["done_note"] == "Renewed until next June."
    saved = fresh(claimed)
    assert (saved.status, saved.claimed_by, saved.done_note) == (DONE, teammate, "Renewed until next June.")
    assert saved.done_at is not None and saved.done_at == saved.last_activity_at
    assert parsed(shown["done_at"]) == saved.done_at


def test_the_note_is_optional(client_for, claimed, teammate):
    response = act(client_for(teammate), claimed.pk, "done")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["done_note"]) == ("done", "")


def test_a_note_of_exactly_1000_characters_is_fine(client_for, claimed, teammate):
    response = act(client_for(teammate), claimed.pk, "done", {"note": "n" * 1000})
    assert response.status_code == 200
    assert len(fresh(claimed).done_note) == 1000


def test_done_is_recorded_as_a_done_moment_by_the_claimant(client_for, claimed, teammate):
    assert act(client_for(teammate), claimed.pk, "done").status_code == 200
    assert kinds(claimed) == ["posted", "claimed", "done"]
    assert Activity.objects.get(kind="done").actor == teammate


def test_every_teammate_but_the_claimant_hears_it_is_done(client_for, claimed, team, member, teammate, lead, third):
    assert act(client_for(teammate), claimed.pk, "done", {"note": "Renewed."}).status_code == 200
    events = events_of("orphan.done")
    assert sorted(e.user_id for e in events) == sorted([member.pk, lead.pk, third.pk])
    expected = {
        "orphan_id": claimed.pk,
        "team_id": team.pk,
        "title": claimed.title,
        "done_by": person(teammate),
        "note": "Renewed.",
    }
    assert [e.data for e in events] == [expected] * 3


def test_nobody_outside_the_team_hears_it_is_done(client_for, claimed, teammate, coach, colleague, outsider):
    assert act(client_for(teammate), claimed.pk, "done").status_code == 200
    told = set(Event.objects.filter(type="orphan.done").values_list("user_id", flat=True))
    assert told.isdisjoint({teammate.pk, coach.pk, colleague.pk, outsider.pk})


def test_marking_done_twice_answers_200_as_the_first_time(client_for, claimed, teammate):
    client = client_for(teammate)
    first = act(client, claimed.pk, "done", {"note": "Renewed."})
    with nothing_written():
        again = act(client, claimed.pk, "done", {"note": "Renewed."})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()


def test_a_retried_done_with_another_note_keeps_the_first(client_for, claimed, teammate):
    client = client_for(teammate)
    act(client, claimed.pk, "done", {"note": "Renewed."})
    with nothing_written():
        again = act(client, claimed.pk, "done", {"note": "Something else"})
    assert again.status_code == 200
    assert again.json()["done_note"] == "Renewed."


@pytest.mark.parametrize("role", ["member", "teammate", "lead"])
def test_marking_done_before_anyone_claimed_it_is_409_not_claimed(request, client_for, orphan, role):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(role)), orphan.pk, "done", {"note": "Sorted"})
    assert response.status_code == 409
    assert error_codes(response) == [(None, "not_claimed")]


def test_a_claimant_who_released_it_cannot_mark_it_done(client_for, claimed, teammate):
    orphan_release(user=teammate, orphan_id=claimed.pk)
    with nothing_written():
        response = act(client_for(teammate), claimed.pk, "done")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "not_claimed")]


@pytest.mark.parametrize("role", NOT_THE_CLAIMANT)
def test_marking_someone_elses_claim_done_is_409_not_your_claim(request, client_for, claimed, teammate, role):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(role)), claimed.pk, "done", {"note": "Did it myself"})
    assert response.status_code == 409
    assert error_codes(response) == [(None, "not_your_claim")]
    assert fresh(claimed).status == CLAIMED


@pytest.mark.parametrize("role", NOT_THE_CLAIMANT)
def test_marking_someone_elses_finished_orphan_done_is_409_not_your_claim(request, client_for, done, role):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(role)), done.pk, "done")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "not_your_claim")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"note": "n" * 1001}, ("note", "max_length")),
        ({"note": "n" * 100_000}, ("note", "max_length")),
        ({"note": None}, ("note", "null")),
        ({"note": {"text": "Renewed"}}, ("note", "invalid")),
        ({"note": ["Renewed"]}, ("note", "invalid")),
    ],
)
def test_a_nonsense_note_is_400_and_leaves_the_claim_as_it_was(client_for, claimed, teammate, body, expected):
    with nothing_written():
        response = act(client_for(teammate), claimed.pk, "done", body)
    assert response.status_code == 400
    assert error_codes(response) == [expected]
    assert fresh(claimed).status == CLAIMED


@pytest.mark.parametrize("stranger", STRANGERS)
def test_someone_outside_the_team_cannot_mark_it_done(request, client_for, claimed, stranger):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(stranger)), claimed.pk, "done", {"note": "Sorted"})
    assert response.status_code == 404
    assert error_codes(response) == [(None, "orphan_not_found")]


# Reopening a quiet claim


def test_the_lead_reopens_a_claim_quiet_for_more_than_14_days(client_for, stale, lead):
    response = act(client_for(lead), stale.pk, "reopen")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["claimed_by"]) == ("open", None)
    saved = fresh(stale)
    assert (saved.status, saved.claimed_by, saved.claimed_at) == (OPEN, None, None)
    assert kinds(stale) == ["posted", "claimed", "reopened"]
    assert Activity.objects.get(kind="reopened").actor == lead


def test_the_former_claimant_hears_their_claim_was_reopened(client_for, stale, team, teammate, lead, member):
    assert act(client_for(lead), stale.pk, "reopen").status_code == 200
    (event,) = events_of("orphan.reopened")
    assert event.user == teammate
    assert event.data == {"orphan_id": stale.pk, "team_id": team.pk, "title": stale.title}


def test_a_reopened_orphan_can_be_claimed_again(client_for, stale, lead, third):
    orphan_reopen(user=lead, orphan_id=stale.pk)
    response = act(client_for(third), stale.pk, "claim")
    assert response.status_code == 200
    assert fresh(stale).claimed_by == third


def test_reopening_twice_answers_200_as_the_first_time(client_for, stale, lead):
    client = client_for(lead)
    first = act(client, stale.pk, "reopen")
    with nothing_written():
        again = act(client, stale.pk, "reopen")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()


@pytest.mark.parametrize("days", [0, 1, 13])
def test_reopening_a_claim_with_recent_activity_is_409_claim_not_stale(client_for, team, member, teammate, lead, days):
    with at(timezone.now() - timedelta(days=days)):
        claimed = orphan_claim(user=teammate, orphan_id=post(member, team).pk)
    with nothing_written():
        response = act(client_for(lead), claimed.pk, "reopen")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "claim_not_stale")]
    assert fresh(claimed).claimed_by == teammate


def test_how_long_a_claim_must_be_quiet_is_a_setting(settings, client_for, team, member, teammate, lead):
    settings.ORPHAN_STALE_DAYS = 3
    with at(timezone.now() - timedelta(days=4)):
        quiet = orphan_claim(user=teammate, orphan_id=post(member, team).pk)
    with at(timezone.now() - timedelta(days=2)):
        recent = orphan_claim(user=teammate, orphan_id=post(member, team).pk)
    client = client_for(lead)
    assert act(client, quiet.pk, "reopen").status_code == 200
    response = act(client, recent.pk, "reopen")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "claim_not_stale")]


def test_a_claim_is_quiet_from_its_last_activity_not_its_first_claim(client_for, team, member, teammate, lead):
    with at(timezone.now() - timedelta(days=30)):
        orphan = post(member, team)
        orphan_claim(user=teammate, orphan_id=orphan.pk)
        orphan_release(user=teammate, orphan_id=orphan.pk)
    with at(timezone.now() - timedelta(days=5)):
        orphan_claim(user=teammate, orphan_id=orphan.pk)
    with nothing_written():
        response = act(client_for(lead), orphan.pk, "reopen")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "claim_not_stale")]


@pytest.mark.parametrize("role", ["member", "teammate", "third"])
def test_only_the_lead_can_reopen_even_a_quiet_claim(request, client_for, stale, role):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(role)), stale.pk, "reopen")
    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_team_lead")]


def test_a_non_lead_asking_to_reopen_a_fresh_claim_is_still_403(client_for, claimed, member):
    with nothing_written():
        response = act(client_for(member), claimed.pk, "reopen")
    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_team_lead")]


def test_reopening_an_open_orphan_is_409_not_claimed(client_for, orphan, lead):
    with nothing_written():
        response = act(client_for(lead), orphan.pk, "reopen")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "not_claimed")]


def test_reopening_a_finished_orphan_is_409_already_done(client_for, team, member, teammate, lead):
    with at(timezone.now() - timedelta(days=20)):
        orphan = orphan_claim(user=teammate, orphan_id=post(member, team).pk)
        orphan_done(user=teammate, orphan_id=orphan.pk)
    with nothing_written():
        response = act(client_for(lead), orphan.pk, "reopen")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "already_done")]


@pytest.mark.parametrize("stranger", STRANGERS)
def test_someone_outside_the_team_cannot_reopen_even_a_lead_elsewhere(request, client_for, stale, stranger):
    with nothing_written():
        response = act(client_for(request.getfixturevalue(stranger)), stale.pk, "reopen")
    assert response.status_code == 404
    assert error_codes(response) == [(None, "orphan_not_found")]


# Two claims at the same moment


def together(attempt, people) -> list:
    """Each person runs `attempt` in their own thread, on their own database connection, all
    released at once by a barrier; returns what each attempt returned (or raised)."""
    barrier, outcomes = threading.Barrier(len(people)), []

    def run(who):
        try:
            barrier.wait(timeout=10)
            outcomes.append(attempt(who))
        except Exception as error:  # noqa: BLE001 - whatever happened is what the test checks
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(who,)) for who in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == len(people), "a claim never came back"
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_claims_at_the_same_moment_have_exactly_one_winner(team, member, teammate, third):
    orphan = post(member, team)

    outcomes = together(lambda who: orphan_claim(user=who, orphan_id=orphan.pk), [teammate, third])

    won = [o for o in outcomes if isinstance(o, Orphan)]
    lost = [o for o in outcomes if not isinstance(o, Orphan)]
    assert len(won) == 1
    assert [(type(o), getattr(o, "code", repr(o))) for o in lost] == [(Conflict, "already_claimed")]
    winner_id = won[0].claimed_by_id
    assert winner_id in (teammate.pk, third.pk)
    saved = fresh(orphan)
    assert (saved.status, saved.claimed_by_id) == (CLAIMED, winner_id)
    assert list(Activity.objects.filter(kind="claimed").values_list("actor_id", flat=True)) == [winner_id]
    assert [(e.user_id, e.data["claimed_by"]["id"]) for e in events_of("orphan.claimed")] == [(member.pk, winner_id)]
    assert list(Nudge.objects.filter(kind=Kind.ORPHAN_REMINDER).values_list("user_id", flat=True)) == [winner_id]
    assert Nudge.objects.filter(kind=Kind.ORPHAN_CLAIMED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_claims_at_the_same_moment_over_http_answer_200_and_409(client_for, team, member, teammate, third):
    orphan = post(member, team)
    clients = {teammate.pk: client_for(teammate), third.pk: client_for(third)}

    def claim(who):
        response = act(clients[who.pk], orphan.pk, "claim")
        return who.pk, response.status_code, response.json()

    outcomes = together(claim, [teammate, third])

    assert sorted(status for _, status, _ in outcomes) == [200, 409], outcomes
    (winner_id, _, shown), (_, _, refused) = sorted(outcomes, key=lambda outcome: outcome[1])
    assert shown["claimed_by"]["id"] == winner_id
    assert [(e["attr"], e["code"]) for e in refused["errors"]] == [(None, "already_claimed")]
    assert fresh(orphan).claimed_by_id == winner_id
    assert Activity.objects.filter(kind="claimed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_post_sent_twice_at_the_same_moment_makes_one_orphan(team, member):
    client_id = uuid.uuid4()

    def send(who):
        return orphan_post(user=who, team_id=team.pk, title="The VPN drops at noon", client_id=client_id)

    outcomes = together(send, [member, member])

    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert sorted(created for _, created in outcomes) == [False, True]
    assert len({orphan.pk for orphan, _ in outcomes}) == 1
    assert Orphan.objects.count() == 1
    assert Activity.objects.count() == 1


# Acknowledging the jump-in


@pytest.mark.parametrize("role", ["member", "lead", "third"])
def test_teammates_acknowledge_the_claimant_of_a_done_orphan(request, client_for, done, teammate, role):
    response = acknowledge(client_for(request.getfixturevalue(role)), teammate, done.pk)
    assert response.status_code == 201
    assert (response.json()["orphan"], response.json()["behaviour"]) == (done.pk, "jumped_in")
    saved = Acknowledgement.objects.get()
    assert (saved.orphan_id, saved.recipient) == (done.pk, teammate)


def test_a_claim_still_in_progress_can_be_acknowledged_too(client_for, claimed, member, teammate):
    response = acknowledge(client_for(member), teammate, claimed.pk)
    assert response.status_code == 201
    assert response.json()["orphan"] == claimed.pk


def test_the_claimant_hears_about_the_jump_in_acknowledgement(client_for, done, member, teammate):
    events = Event.objects.filter(user=teammate).count()
    assert acknowledge(client_for(member), teammate, done.pk).status_code == 201
    assert Event.objects.filter(user=teammate, type="acknowledgement.received").count() == 1
    assert Event.objects.filter(user=teammate).count() == events + 1


def test_a_jump_in_acknowledgement_sent_twice_with_one_client_id_is_one(client_for, done, member, teammate):
    client, client_id = client_for(member), str(uuid.uuid4())
    first = acknowledge(client, teammate, done.pk, client_id=client_id)
    again = acknowledge(client, teammate, done.pk, client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Acknowledgement.objects.count() == 1


def test_a_jump_in_acknowledgement_must_go_to_the_claimant(client_for, done, member, lead):
    with nothing_written():
        response = acknowledge(client_for(member), lead, done.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("recipient", "not_the_claimant")]


def test_a_former_claimant_is_not_the_one_to_acknowledge(client_for, claimed, member, teammate, lead):
    orphan_release(user=teammate, orphan_id=claimed.pk)
    orphan_claim(user=lead, orphan_id=claimed.pk)
    with nothing_written():
        response = acknowledge(client_for(member), teammate, claimed.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("recipient", "not_the_claimant")]


@pytest.mark.parametrize("behaviour", ["spoke_up", "took_initiative", "helped", "saw_me", "shared_knowledge"])
def test_a_jump_in_is_acknowledged_as_jumped_in_and_nothing_else(client_for, done, member, teammate, behaviour):
    with nothing_written():
        response = acknowledge(client_for(member), teammate, done.pk, behaviour=behaviour)
    assert response.status_code == 400
    assert error_codes(response) == [("behaviour", "not_a_jump_in")]


def test_an_open_orphan_cannot_be_acknowledged_as_a_jump_in(client_for, orphan, member, teammate):
    with nothing_written():
        response = acknowledge(client_for(member), teammate, orphan.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("orphan", "orphan_not_found")]


def test_a_released_orphan_cannot_be_acknowledged_as_a_jump_in(client_for, claimed, member, teammate):
    orphan_release(user=teammate, orphan_id=claimed.pk)
    with nothing_written():
        response = acknowledge(client_for(member), teammate, claimed.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("orphan", "orphan_not_found")]


def test_a_colleague_outside_the_team_cannot_acknowledge_its_jump_in(client_for, done, colleague, teammate):
    with nothing_written():
        response = acknowledge(client_for(colleague), teammate, done.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("orphan", "orphan_not_found")]


def test_a_colleague_can_still_acknowledge_the_claimant_without_the_orphan(client_for, done, colleague, teammate):
    body = jump_in_body(teammate, done.pk)
    del body["orphan"]
    response = client_for(colleague).post("/api/v1/acknowledgements", body, format="json")
    assert response.status_code == 201
    assert response.json()["orphan"] is None


def test_someone_in_another_organisation_cannot_acknowledge_the_claimant(client_for, done, outsider, teammate):
    with nothing_written():
        response = acknowledge(client_for(outsider), teammate, done.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("recipient", "recipient_not_found")]


def test_an_orphan_of_another_team_cannot_be_acknowledged_from_this_one(client_for, member, colleague, organisation):
    other = colleague.memberships.get().team
    finisher = MembershipFactory(team=other).user
    elsewhere = orphan_claim(user=finisher, orphan_id=post(colleague, other).pk)
    orphan_done(user=finisher, orphan_id=elsewhere.pk)
    with nothing_written():
        response = acknowledge(client_for(member), finisher, elsewhere.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("orphan", "orphan_not_found")]


@pytest.mark.parametrize(
    ("orphan_id", "expected"),
    [
        (999999, ("orphan", "orphan_not_found")),
        ("x", ("orphan", "invalid")),
        ([1], ("orphan", "invalid")),
        (0, ("orphan", "min_value")),
        (-3, ("orphan", "min_value")),
    ],
)
def test_a_nonsense_orphan_on_an_acknowledgement_is_400(client_for, done, member, teammate, orphan_id, expected):
    with nothing_written():
        response = acknowledge(client_for(member), teammate, orphan_id)
    assert response.status_code == 400
    assert error_codes(response) == [expected]


def test_the_claimant_cannot_acknowledge_their_own_jump_in(client_for, done, teammate):
    with nothing_written():
        response = acknowledge(client_for(teammate), teammate, done.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("recipient", "self_acknowledgement")]


def test_a_jump_in_acknowledgement_counts_towards_the_daily_limit(settings, client_for, done, member, teammate, lead):
    settings.ACKNOWLEDGEMENT_DAILY_LIMIT = 1
    client = client_for(member)
    earlier = client.post("/api/v1/acknowledgements", jump_in_body(lead, None, behaviour="helped"), format="json")
    assert earlier.status_code == 201
    with nothing_written():
        response = acknowledge(client, teammate, done.pk)
    assert response.status_code == 429
    assert error_codes(response) == [(None, "daily_limit_reached")]


def test_a_private_jump_in_acknowledgement_stays_off_the_team_feed(client_for, done, member, teammate):
    private = acknowledge(client_for(member), teammate, done.pk, visibility="private")
    shared = acknowledge(client_for(member), teammate, done.pk, visibility="team")
    assert (private.status_code, shared.status_code) == (201, 201)
    items, _ = all_pages(client_for(member), feed_url(done.team_id))
    on_feed = [item["id"] for item in items if item["type"] == "acknowledgement"]
    assert on_feed == [shared.json()["id"]]


# Nudges: the poster told, the claimant gently reminded

CLAIMED_AT = utc(2026, 6, 10, 10, 0)  # a Wednesday, mid-morning UTC: no quiet hours


@pytest.fixture
def claimed_in_june(team, member, teammate, lead):
    with at(CLAIMED_AT - timedelta(hours=1)):
        orphan = post(member, team, "The on-call rota has a gap in August")
    with at(CLAIMED_AT):
        return orphan_claim(user=teammate, orphan_id=orphan.pk)


def test_the_poster_is_nudged_at_once_that_a_teammate_took_it_on(claimed_in_june, member, teammate):
    deliver(CLAIMED_AT + timedelta(minutes=1))
    nudge = Nudge.objects.get(kind=Kind.ORPHAN_CLAIMED)
    assert (nudge.user, nudge.status) == (member, SENT)
    assert teammate.display_name in nudge.title
    assert claimed_in_june.title in nudge.body


def test_the_claimant_gets_a_reminder_due_a_week_after_claiming(claimed_in_june, teammate):
    reminder = Nudge.objects.get(kind=Kind.ORPHAN_REMINDER)
    assert reminder.user == teammate
    assert reminder.due_at == CLAIMED_AT + timedelta(days=7)


def test_the_reminder_is_not_sent_before_the_week_is_up(claimed_in_june):
    deliver(CLAIMED_AT + timedelta(days=6, hours=23))
    assert Nudge.objects.get(kind=Kind.ORPHAN_REMINDER).status == PENDING


def test_the_reminder_goes_out_after_a_quiet_week(claimed_in_june, teammate):
    deliver(CLAIMED_AT + timedelta(days=7))
    reminder = Nudge.objects.get(kind=Kind.ORPHAN_REMINDER)
    assert (reminder.status, reminder.user) == (SENT, teammate)
    assert claimed_in_june.title in reminder.body


def test_the_reminder_is_skipped_when_the_claimant_released_it(claimed_in_june, teammate):
    with at(CLAIMED_AT + timedelta(days=2)):
        orphan_release(user=teammate, orphan_id=claimed_in_june.pk)
    deliver(CLAIMED_AT + timedelta(days=7))
    reminder = Nudge.objects.get(kind=Kind.ORPHAN_REMINDER)
    assert (reminder.status, reminder.reason) == (SKIPPED, "moved_on")
    assert reminder.sent_at is None


def test_the_reminder_is_skipped_when_it_is_done(claimed_in_june, teammate):
    with at(CLAIMED_AT + timedelta(days=3)):
        orphan_done(user=teammate, orphan_id=claimed_in_june.pk)
    deliver(CLAIMED_AT + timedelta(days=7))
    reminder = Nudge.objects.get(kind=Kind.ORPHAN_REMINDER)
    assert (reminder.status, reminder.reason) == (SKIPPED, "moved_on")
    assert not Event.objects.filter(user=teammate, type="nudge", data__kind=Kind.ORPHAN_REMINDER).exists()


def test_claiming_again_after_a_release_starts_a_new_week(claimed_in_june, teammate):
    with at(CLAIMED_AT + timedelta(days=2)):
        orphan_release(user=teammate, orphan_id=claimed_in_june.pk)
    with at(CLAIMED_AT + timedelta(days=3)):
        orphan_claim(user=teammate, orphan_id=claimed_in_june.pk)
    deliver(CLAIMED_AT + timedelta(days=7))
    deliver(CLAIMED_AT + timedelta(days=10))
    reminders = Nudge.objects.filter(kind=Kind.ORPHAN_REMINDER).order_by("due_at")
    assert [(r.due_at, r.status) for r in reminders] == [
        (CLAIMED_AT + timedelta(days=7), SKIPPED),
        (CLAIMED_AT + timedelta(days=10), SENT),
    ]


def test_a_retried_claim_plans_no_second_reminder(claimed_in_june, teammate):
    with at(CLAIMED_AT + timedelta(minutes=1)):
        orphan_claim(user=teammate, orphan_id=claimed_in_june.pk)
    assert Nudge.objects.filter(kind=Kind.ORPHAN_REMINDER).count() == 1


def test_how_long_before_the_reminder_is_a_setting(settings, team, member, teammate):
    settings.ORPHAN_REMINDER_DAYS = 2
    with at(CLAIMED_AT):
        orphan_claim(user=teammate, orphan_id=post(member, team).pk)
    assert Nudge.objects.get(kind=Kind.ORPHAN_REMINDER).due_at == CLAIMED_AT + timedelta(days=2)


def test_the_lead_reopening_is_told_to_the_former_claimant_not_the_poster(client_for, stale, member, teammate, lead):
    assert act(client_for(lead), stale.pk, "reopen").status_code == 200
    assert [e.user_id for e in events_of("orphan.reopened")] == [teammate.pk]


# The team feed


@pytest.fixture
def moments():
    """Distinct instants, a minute apart, in order."""
    start = utc(2026, 6, 1, 9, 0)
    return (start + timedelta(minutes=n) for n in count())


def test_the_feed_shows_posted_claimed_and_done_with_the_orphan_and_actor_merged_with_acknowledgements(
    client_for, team, member, teammate, lead
):
    t = utc(2026, 6, 10, 9, 0)
    with at(t):
        orphan = post(member, team, "The printer on floor 3 is jammed")
    thanks = AcknowledgementFactory(
        sender=lead, recipient=member, visibility="team", created_at=t + timedelta(minutes=1)
    )
    with at(t + timedelta(minutes=2)):
        orphan_claim(user=teammate, orphan_id=orphan.pk)
    cheers = AcknowledgementFactory(
        sender=member, recipient=lead, visibility="team", created_at=t + timedelta(minutes=3)
    )
    with at(t + timedelta(minutes=4)):
        orphan_done(user=teammate, orphan_id=orphan.pk, note="New drum fitted.")

    response = client_for(member).get(feed_url(team.pk))
    assert response.status_code == 200
    items = response.json()["results"]
    assert [(i["type"], i["id"]) for i in items] == [
        ("orphan.done", Activity.objects.get(kind="done").pk),
        ("acknowledgement", cheers.pk),
        ("orphan.claimed", Activity.objects.get(kind="claimed").pk),
        ("acknowledgement", thanks.pk),
        ("orphan.posted", Activity.objects.get(kind="posted").pk),
    ]
    done_item, _, claimed_item, _, posted_item = items
    assert set(done_item) == {"type", "id", "at", "actor", "orphan"}
    assert [i["actor"] for i in (done_item, claimed_item, posted_item)] == [
        person(teammate),
        person(teammate),
        person(member),
    ]
    assert [parsed(i["at"]) for i in (done_item, claimed_item, posted_item)] == [
        t + timedelta(minutes=4),
        t + timedelta(minutes=2),
        t,
    ]
    assert {i["orphan"]["id"] for i in (done_item, claimed_item, posted_item)} == {orphan.pk}
    assert set(done_item["orphan"]) == ORPHAN_FIELDS
    assert (done_item["orphan"]["title"], done_item["orphan"]["done_note"]) == (orphan.title, "New drum fitted.")


def test_releases_and_reopenings_do_not_show_on_the_feed(client_for, stale, team, teammate, lead, member):
    orphan_reopen(user=lead, orphan_id=stale.pk)
    orphan_claim(user=teammate, orphan_id=stale.pk)
    orphan_release(user=teammate, orphan_id=stale.pk)
    items, _ = all_pages(client_for(member), feed_url(team.pk))
    assert [i["type"] for i in items] == ["orphan.claimed", "orphan.claimed", "orphan.posted"]


def test_another_teams_orphans_stay_off_this_teams_feed(client_for, team, member, colleague):
    other = colleague.memberships.get().team
    orphan_claim(user=colleague, orphan_id=post(colleague, other).pk)
    mine = post(member, team)
    items, _ = all_pages(client_for(member), feed_url(team.pk))
    assert [(i["type"], i["orphan"]["id"]) for i in items] == [("orphan.posted", mine.pk)]


def _mixed_feed(team, member, teammate, lead, moment) -> list[tuple[str, int]]:
    """12 orphans posted and claimed, 10 team-visible acknowledgements: 34 items. Returns the
    feed's keys, newest first, straight from the tables."""
    for n in range(12):
        with at(next(moment)):
            orphan = post(member, team, f"Orphan {n}")
        with at(next(moment)):
            orphan_claim(user=teammate, orphan_id=orphan.pk)
        if n < 10:
            sender, recipient = (lead, teammate) if n % 2 else (teammate, member)
            AcknowledgementFactory(sender=sender, recipient=recipient, visibility="team", created_at=next(moment))
    AcknowledgementFactory(sender=lead, recipient=member, visibility="private", created_at=next(moment))
    rows = [("orphan", pk, when) for pk, when in Activity.objects.values_list("pk", "created_at")]
    rows += [
        ("acknowledgement", pk, when)
        for pk, when in Acknowledgement.objects.filter(visibility="team").values_list("pk", "created_at")
    ]
    return [(kind, pk) for kind, pk, _ in sorted(rows, key=lambda row: row[2], reverse=True)]


@pytest.mark.parametrize(("limit", "pages"), [(None, 2), (7, 5), (1, 34)])
def test_the_feed_pages_through_a_mixed_feed_with_no_gaps_and_no_repeats(
    client_for, team, member, teammate, lead, moments, limit, pages
):
    expected = _mixed_feed(team, member, teammate, lead, moments)
    assert len(expected) == 34
    items, taken = all_pages(client_for(member), feed_url(team.pk), {"limit": limit} if limit else {})
    assert [feed_key(i) for i in items] == expected
    assert taken == pages


@pytest.mark.parametrize("limit", [None, 3, 7])
def test_the_feed_pages_through_items_that_all_happened_at_one_instant(client_for, team, member, teammate, lead, limit):
    instant = utc(2026, 6, 10, 9, 0)
    expected = _mixed_feed(team, member, teammate, lead, iter(lambda: instant, None))
    items, _ = all_pages(client_for(member), feed_url(team.pk), {"limit": limit} if limit else {})
    keys = [feed_key(i) for i in items]
    assert len(keys) == len(set(keys)) == 34
    assert set(keys) == set(expected)


def _cursor(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        "abc",
        _cursor(b"hello"),
        _cursor(b"a|b|c"),
        _cursor(b"2026-06-10T09:00:00+00:00|0"),
        _cursor(b"2026-06-10T09:00:00+00:00|0|x"),
        _cursor(b"2026-06-10T09:00:00+00:00|zero|5"),
        _cursor(b"yesterday|0|5"),
        _cursor(b"2026-06-10T09:00:00+00:00|0|5|9"),
        _cursor(b"\xff\xfe\xfd|0|5"),
    ],
)
def test_a_forged_cursor_is_400_invalid_cursor(client_for, team, member, orphan, cursor):
    response = client_for(member).get(feed_url(team.pk), {"cursor": cursor})
    assert response.status_code == 400
    assert error_codes(response) == [("cursor", "invalid_cursor")]


@pytest.mark.parametrize("stranger", STRANGERS)
def test_someone_outside_the_team_cannot_read_its_feed(request, client_for, team, orphan, stranger):
    response = client_for(request.getfixturevalue(stranger)).get(feed_url(team.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


def test_the_feed_of_an_unknown_team_is_404(client_for, member):
    response = client_for(member).get(feed_url(999999))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


# The team's weekly figures

MONDAY_W24 = utc(2026, 6, 8, 9, 0)  # 2026-W24 starts on Monday 8 June
WEDNESDAY_W24 = utc(2026, 6, 10, 12, 0)


def posted_at(user, team, moment: datetime, title: str = "Nobody owns the release notes") -> Orphan:
    with at(moment):
        return post(user, team, title)


def claimed_at(user, orphan, moment: datetime) -> Orphan:
    with at(moment):
        return orphan_claim(user=user, orphan_id=orphan.pk)


def stats(client_for, user, team, now: datetime, **params):
    with at(now):
        return client_for(user).get(stats_url(team.pk), params)


def week(body: list[dict], label: str) -> dict:
    (found,) = [w for w in body if w["week"] == label]
    return found


def test_a_week_with_claims_after_10_20_and_60_minutes_has_a_median_of_20(client_for, team, member, teammate):
    for minutes in (10, 20, 60):
        orphan = posted_at(member, team, MONDAY_W24)
        claimed_at(teammate, orphan, MONDAY_W24 + timedelta(minutes=minutes))

    response = stats(client_for, member, team, WEDNESDAY_W24, weeks=2)
    assert response.status_code == 200
    assert response.json()[-1] == {
        "week": "2026-W24",
        "starts_on": "2026-06-08",
        "posted": 3,
        "claimed": 3,
        "done": 0,
        "median_minutes_to_claim": 20.0,
    }


def test_weeks_without_claims_show_no_median(client_for, team, member):
    posted_at(member, team, MONDAY_W24)
    body = stats(client_for, member, team, WEDNESDAY_W24, weeks=2).json()
    assert [(w["week"], w["posted"], w["claimed"], w["median_minutes_to_claim"]) for w in body] == [
        ("2026-W23", 0, 0, None),
        ("2026-W24", 1, 0, None),
    ]


def test_twelve_weeks_by_default_oldest_first_ending_this_week(client_for, team, member):
    response = stats(client_for, member, team, WEDNESDAY_W24)
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 12
    assert all(set(w) == WEEK_FIELDS for w in body)
    assert [w["starts_on"] for w in body] == [
        (date(2026, 6, 8) - timedelta(weeks=11 - n)).isoformat() for n in range(12)
    ]
    assert [w["week"] for w in body] == [f"2026-W{n:02d}" for n in range(13, 25)]
    assert all((w["posted"], w["claimed"], w["done"], w["median_minutes_to_claim"]) == (0, 0, 0, None) for w in body)


@pytest.mark.parametrize("weeks", [1, 5, 52])
def test_the_number_of_weeks_can_be_chosen_from_1_to_52(client_for, team, member, weeks):
    response = stats(client_for, member, team, WEDNESDAY_W24, weeks=weeks)
    assert response.status_code == 200
    assert len(response.json()) == weeks
    assert response.json()[-1]["week"] == "2026-W24"


def test_an_orphan_counts_as_claimed_in_the_week_of_its_first_claim_only(client_for, team, member, teammate, lead):
    orphan = posted_at(member, team, MONDAY_W24 - timedelta(weeks=2))  # W22
    claimed_at(teammate, orphan, MONDAY_W24 - timedelta(weeks=1) + timedelta(hours=1))  # W23, 1 week + 1 hour later
    with at(MONDAY_W24 - timedelta(weeks=1) + timedelta(hours=2)):
        orphan_release(user=teammate, orphan_id=orphan.pk)
    claimed_at(lead, orphan, MONDAY_W24 + timedelta(hours=1))  # W24
    with at(MONDAY_W24 + timedelta(hours=5)):
        orphan_done(user=lead, orphan_id=orphan.pk)

    body = stats(client_for, member, team, WEDNESDAY_W24, weeks=3).json()
    assert [(w["week"], w["posted"], w["claimed"], w["done"], w["median_minutes_to_claim"]) for w in body] == [
        ("2026-W22", 1, 0, 0, None),
        ("2026-W23", 0, 1, 0, float(7 * 24 * 60 + 60)),
        ("2026-W24", 0, 0, 1, None),
    ]


def test_a_claim_of_an_orphan_posted_before_the_window_still_counts_in_its_week(client_for, team, member, teammate):
    orphan = posted_at(member, team, MONDAY_W24 - timedelta(weeks=5))
    claimed_at(teammate, orphan, MONDAY_W24 + timedelta(minutes=30))
    body = stats(client_for, member, team, WEDNESDAY_W24, weeks=1).json()
    assert body == [
        {
            "week": "2026-W24",
            "starts_on": "2026-06-08",
            "posted": 0,
            "claimed": 1,
            "done": 0,
            "median_minutes_to_claim": float(5 * 7 * 24 * 60 + 30),
        }
    ]


def test_weeks_are_cut_at_midnight_utc_on_monday(client_for, team, member, teammate):
    sunday_night = utc(2026, 6, 7, 23, 59)
    orphan = posted_at(member, team, sunday_night - timedelta(minutes=10))
    claimed_at(teammate, orphan, sunday_night)  # W23
    claimed_at(teammate, posted_at(member, team, utc(2026, 6, 8, 0, 0)), utc(2026, 6, 8, 0, 5))  # W24
    body = stats(client_for, member, team, WEDNESDAY_W24, weeks=2).json()
    assert [(w["week"], w["posted"], w["claimed"], w["median_minutes_to_claim"]) for w in body] == [
        ("2026-W23", 1, 1, 10.0),
        ("2026-W24", 1, 1, 5.0),
    ]


def test_weeks_are_labelled_by_iso_year_across_new_year(client_for, team, member):
    posted_at(member, team, utc(2026, 12, 31, 9, 0))
    body = stats(client_for, member, team, utc(2027, 1, 1, 12, 0), weeks=2).json()
    assert [(w["week"], w["starts_on"], w["posted"]) for w in body] == [
        ("2026-W52", "2026-12-21", 0),
        ("2026-W53", "2026-12-28", 1),
    ]


def test_other_teams_orphans_do_not_count(client_for, team, member, teammate, colleague, outsider):
    other = colleague.memberships.get().team
    elsewhere = posted_at(colleague, other, MONDAY_W24)
    claimed_at(colleague, elsewhere, MONDAY_W24 + timedelta(minutes=5))
    abroad = posted_at(outsider, outsider.memberships.get().team, MONDAY_W24)
    claimed_at(outsider, abroad, MONDAY_W24 + timedelta(minutes=7))
    mine = posted_at(member, team, MONDAY_W24)
    claimed_at(teammate, mine, MONDAY_W24 + timedelta(minutes=40))

    body = stats(client_for, member, team, WEDNESDAY_W24, weeks=1).json()
    assert [(w["posted"], w["claimed"], w["median_minutes_to_claim"]) for w in body] == [(1, 1, 40.0)]


def test_the_figures_are_counts_with_no_names_or_titles(client_for, team, member, teammate):
    orphan = posted_at(member, team, MONDAY_W24, "Secret project Bluebird")
    claimed_at(teammate, orphan, MONDAY_W24 + timedelta(minutes=15))
    response = stats(client_for, member, team, WEDNESDAY_W24)
    text = response.content.decode()
    assert response.status_code == 200
    for private in ("Bluebird", member.display_name, teammate.display_name, member.email, teammate.email):
        assert private not in text


@pytest.mark.parametrize("role", ["member", "teammate", "lead"])
def test_every_member_of_the_team_sees_its_figures(request, client_for, team, member, teammate, lead, role):
    posted_at(member, team, MONDAY_W24)
    body = stats(client_for, request.getfixturevalue(role), team, WEDNESDAY_W24, weeks=1).json()
    assert body[0]["posted"] == 1


@pytest.mark.parametrize("stranger", STRANGERS)
def test_someone_outside_the_team_cannot_see_its_figures(request, client_for, team, orphan, stranger):
    response = client_for(request.getfixturevalue(stranger)).get(stats_url(team.pk))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


def test_the_figures_of_an_unknown_team_are_404(client_for, member):
    response = client_for(member).get(stats_url(999999))
    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]


@pytest.mark.parametrize(
    ("weeks", "code"),
    [
        ("0", "min_value"),
        ("-1", "min_value"),
        ("53", "max_value"),
        ("1000", "max_value"),
        ("x", "invalid"),
        ("1.5", "invalid"),
    ],
)
def test_weeks_outside_1_to_52_is_400(client_for, team, member, weeks, code):
    response = client_for(member).get(stats_url(team.pk), {"weeks": weeks})
    assert response.status_code == 400
    assert error_codes(response) == [("weeks", code)]
