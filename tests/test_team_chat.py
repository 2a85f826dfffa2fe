"""The team feed in chat: a team's lead connects a Slack or Microsoft Teams channel through an
incoming webhook, and the worker posts the team's moments there, batched, once, with nothing
private. The HTTP exchanges with Slack and Teams are the real ones, intercepted (responses)."""

import json
import logging
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import requests
import responses
from cryptography.fernet import Fernet
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import default_task_backend
from urllib3.exceptions import MaxRetryError

from acknowledgements.services import acknowledgement_create, acknowledgement_hide
from agreements.factories import AgreementFactory, VersionFactory
from agreements.models import Agreement
from agreements.services import agreement_adopt, agreement_adopt_in_session
from chat.delivery import LEASE, MAX_FAILURES, chat_post_due
from chat.factories import ChannelFactory
from chat.models import Channel, Post
from chat.services import chat_connect, chat_keys_rotate
from demo.seed import demo_seed
from exercises.factories import group_exercise
from exercises.models import Step
from exercises.services import content_pack_load
from group_sessions.factories import GroupSessionFactory
from group_sessions.models import GroupSession, Share
from group_sessions.services import session_start
from orphans.services import orphan_claim, orphan_done, orphan_from_share, orphan_post
from reflections.factories import ReflectionFactory
from teams.factories import MembershipFactory, TeamFactory
from tests.conftest import error_codes
from tests.test_stored_secrets import every_stored_string
from worker.schedule import enqueue_due_jobs

pytestmark = pytest.mark.django_db

SLACK_SECRET = "xoxsecretWebhookToken9f3k"
SLACK_URL = f"https://hooks.slack.com/services/T0HUMBLE1/B0HUMBLE2/{SLACK_SECRET}"
TEAMS_URL = "https://contoso.webhook.office.com/webhookb2/1a2b3c@4d5e/IncomingWebhook/77aa/0f0f-secret"
PRIVATE_WORDS = "PRIVATE: thank you for staying late with me on Tuesday"
SHARE_WORDS = "SHARE: nobody reads the on-call handover and I am scared to say it"


def chat_url(team) -> str:
    return f"/api/v1/teams/{team.pk}/chat"


def later(minutes: float = 1):
    """A moment late enough for what just happened to have settled (chat.delivery.SETTLE)."""
    return timezone.now() + timedelta(minutes=minutes)


def post_lines(call) -> list[str]:
    """A Slack post's lines, as plain text (its rich text runs joined)."""
    body = json.loads(call.request.body)
    items = body["blocks"][1]["elements"][0]["elements"]
    return ["".join(run["text"] for run in item["elements"]) for item in items]


def posted(mock) -> list[list[str]]:
    return [post_lines(call) for call in mock.calls]


@pytest.fixture
def people(lead, member, teammate):
    for user, name in ((lead, "Morgan"), (member, "Priya"), (teammate, "Jonas")):
        user.display_name = name
        user.save(update_fields=["display_name"])
    return lead, member, teammate


@pytest.fixture
def channel(team, people):
    return ChannelFactory(team=team, connected_by=people[0], url=SLACK_URL)


@pytest.fixture
def slack():
    """Slack's webhook answers ok; nothing else can be reached."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(SLACK_URL, body="ok")
        yield mock


@pytest.fixture
def slack_answers():
    """Slack's webhook answering with whatever each test registers, in order."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def acknowledge(sender, recipient, *, visibility="team", behaviour="jumped_in", message="Thanks for the release notes"):
    acknowledgement, _ = acknowledgement_create(
        sender=sender,
        recipient_id=recipient.pk,
        message=message,
        behaviour=behaviour,
        visibility=visibility,
        client_id=uuid.uuid4(),
    )
    return acknowledgement


def problem(user, team, title="The build breaks on Mondays"):
    orphan, _ = orphan_post(user=user, team_id=team.pk, title=title, client_id=uuid.uuid4())
    return orphan


def share_exercise(title="Why we are here"):
    return group_exercise(Step.Kind.SHARE, title=title)


# Connecting, seeing and disconnecting: the team's lead


def test_a_lead_connects_slack_and_sees_the_address_masked(client_for, team, lead):
    response = client_for(lead).put(chat_url(team), {"kind": "slack", "url": SLACK_URL}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["kind"], body["connected_by"]["id"]) == ("active", "slack", lead.pk)
    assert body["url"] == f"https://hooks.slack.com/…{SLACK_URL[-4:]}"
    assert SLACK_SECRET not in response.content.decode()


def test_the_status_shows_the_channel_masked(client_for, team, lead):
    chat_connect(user=lead, team_id=team.pk, kind="slack", url=SLACK_URL)

    response = client_for(lead).get(chat_url(team))

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["url"]) == (
        "active",
        f"https://hooks.slack.com/…{SLACK_URL[-4:]}",
    )
    assert SLACK_SECRET not in response.content.decode()


def test_a_team_without_a_channel_says_so(client_for, team, lead):
    response = client_for(lead).get(chat_url(team))

    assert response.status_code == 200
    assert response.json() == {
        "status": "not_connected",
        "kind": None,
        "url": None,
        "failure": None,
        "connected_at": None,
        "connected_by": None,
        "last_posted_at": None,
    }


@pytest.mark.parametrize(
    "url",
    [
        TEAMS_URL,
        "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s3cr3t",
        "https://default1234.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3t",
    ],
)
def test_a_lead_connects_microsoft_teams_through_a_connector_or_a_workflow(client_for, team, lead, url):
    response = client_for(lead).put(chat_url(team), {"kind": "teams", "url": url}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["kind"] == "teams"


def test_the_webhook_address_is_not_stored_in_clear(team, lead):
    chat_connect(user=lead, team_id=team.pk, kind="slack", url=SLACK_URL)

    stored = every_stored_string()
    assert any(SLACK_URL[-4:] in value for value in stored)  # the masked hint is there: the scan sees the table
    assert not any(SLACK_SECRET in value for value in stored)


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("slack", SLACK_URL.replace("https://", "http://")),
        ("slack", "https://hooks.slack.com.evil.example/services/T0/B0/x"),
        ("slack", "https://evil.example/hooks.slack.com/services/T0/B0/x"),
        ("slack", "https://10.0.0.1/services/T0/B0/x"),
        ("slack", "https://127.0.0.1/services/T0/B0/x"),
        ("slack", "https://169.254.169.254/latest/meta-data/"),
        ("slack", "https://[::1]/services/T0/B0/x"),
        ("slack", "https://localhost/services/T0/B0/x"),
        ("slack", "https://hooks.slack.com:8443/services/T0/B0/x"),
        ("slack", "https://hooks.slack.com@10.0.0.1/services/T0/B0/x"),
        ("slack", "https://user:password@hooks.slack.com/services/T0/B0/x"),
        ("slack", "https://hooks.slack.com/"),
        ("slack", "https://hooks.slack.com/services/T0/B0/x#fragment"),
        ("slack", "https://hooks.slack.com/services/T0/B0\t/x"),
        ("slack", "https://hooks.slack.com/services/T0/\nB0/x"),
        ("slack", "https://hooks.slack.com:99999/services/T0/B0/x"),
        ("slack", "ftp://hooks.slack.com/services/T0/B0/x"),
        ("slack", "hooks.slack.com/services/T0/B0/x"),
        ("slack", "not an address"),
        ("slack", TEAMS_URL),
        ("teams", SLACK_URL),
        ("teams", "https://webhook.office.com/webhookb2/x"),
        ("teams", "https://evil.example/.webhook.office.com/x"),
        ("teams", "https://contoso.webhook.office.com.evil.example/webhookb2/x"),
    ],
)
def test_an_address_that_is_not_the_chat_services_own_webhook_is_refused(client_for, team, lead, kind, url):
    response = client_for(lead).put(chat_url(team), {"kind": kind, "url": url}, format="json")

    assert response.status_code == 400
    assert error_codes(response) == [("url", "webhook_url_refused")]
    assert not Channel.objects.exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"kind": "discord", "url": SLACK_URL}, ("kind", "invalid_choice")),
        ({"kind": "console", "url": SLACK_URL}, ("kind", "invalid_choice")),
        ({"url": SLACK_URL}, ("kind", "required")),
        ({"kind": "slack"}, ("url", "required")),
        ({"kind": "slack", "url": None}, ("url", "null")),
        ({"kind": "slack", "url": ["https://hooks.slack.com/services/a"]}, ("url", "invalid")),
        ({"kind": "slack", "url": "https://hooks.slack.com/services/" + "x" * 2000}, ("url", "max_length")),
        ({"kind": ["slack"], "url": SLACK_URL}, ("kind", "invalid_choice")),
    ],
)
def test_a_connection_that_makes_no_sense_is_refused_field_by_field(client_for, team, lead, body, expected):
    response = client_for(lead).put(chat_url(team), body, format="json")

    assert response.status_code == 400
    assert expected in error_codes(response)
    assert not Channel.objects.exists()


def test_a_body_that_is_not_an_object_is_refused(client_for, team, lead):
    response = client_for(lead).put(chat_url(team), ["slack", SLACK_URL], format="json")

    assert response.status_code == 400
    assert not Channel.objects.exists()


ROUTES = [
    ("get", "", None),
    ("put", "", {"kind": "slack", "url": SLACK_URL}),
    ("delete", "", None),
    ("post", "/enable", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
def test_a_member_who_is_not_the_lead_is_refused(client_for, team, member, lead, method, suffix, body):
    ChannelFactory(team=team, connected_by=lead, status=Channel.Status.FAILING)

    response = getattr(client_for(member), method)(chat_url(team) + suffix, body, format="json")

    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_team_lead")]
    assert Channel.objects.get(team=team).status == Channel.Status.FAILING


@pytest.mark.parametrize("who", ["colleague", "outsider", "coach", "lead_of_another_team"])
@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
def test_anyone_outside_the_team_does_not_find_it(client_for, team, lead, request, who, method, suffix, body):
    ChannelFactory(team=team, connected_by=lead, url=SLACK_URL)
    if who == "lead_of_another_team":
        stranger = MembershipFactory(team=TeamFactory(organisation=team.organisation), role="lead").user
    else:
        stranger = request.getfixturevalue(who)

    response = getattr(client_for(stranger), method)(chat_url(team) + suffix, body, format="json")

    assert response.status_code == 404
    assert error_codes(response) == [(None, "team_not_found")]
    assert SLACK_SECRET not in response.content.decode()
    assert Channel.objects.get(team=team).kind == Channel.Kind.SLACK


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
def test_nobody_signed_out_reaches_it(anonymous, team, method, suffix, body):
    response = getattr(anonymous, method)(chat_url(team) + suffix, body, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_a_team_id_that_is_not_a_number_is_not_a_route(client_for, lead, method):
    assert getattr(client_for(lead), method)("/api/v1/teams/north/chat").status_code == 404


def test_a_lead_disconnects_and_the_address_is_forgotten(client_for, team, lead):
    chat_connect(user=lead, team_id=team.pk, kind="slack", url=SLACK_URL)

    response = client_for(lead).delete(chat_url(team))

    assert response.status_code == 204
    assert not Channel.objects.exists() and not Post.objects.exists()
    assert client_for(lead).get(chat_url(team)).json()["status"] == "not_connected"


def test_disconnecting_a_team_with_no_channel_is_no_error(client_for, team, lead):
    assert client_for(lead).delete(chat_url(team)).status_code == 204


def test_turning_back_on_a_team_with_no_channel_is_not_found(client_for, team, lead):
    response = client_for(lead).post(chat_url(team) + "/enable")

    assert response.status_code == 404
    assert error_codes(response) == [(None, "chat_not_connected")]


def test_connecting_sends_a_greeting_at_once(team, lead, slack, django_capture_on_commit_callbacks):
    default_task_backend.results.clear()
    with django_capture_on_commit_callbacks(execute=True):
        chat_connect(user=lead, team_id=team.pk, kind="slack", url=SLACK_URL)

    assert [result.task.name for result in default_task_backend.results] == ["post_to_chat"]
    chat_post_due(now=timezone.now())
    [greeting] = posted(slack)
    assert greeting[0].startswith(f"Humble will post {team.name}'s moments here")
    assert Channel.objects.get(team=team).last_posted_at is not None


def test_the_worker_clock_posts_to_chat():
    assert "post_to_chat" in enqueue_due_jobs()


# What is posted


def test_a_team_visible_acknowledgement_is_posted_without_its_words(channel, people, slack):
    lead, member, teammate = people
    acknowledge(member, teammate, message=PRIVATE_WORDS)

    chat_post_due(now=later())

    assert posted(slack) == [["Priya acknowledged Jonas (Jumped in)"]]
    assert PRIVATE_WORDS not in slack.calls[0].request.body.decode()


def test_a_private_acknowledgement_is_never_posted(channel, people, slack):
    lead, member, teammate = people
    acknowledge(member, teammate, visibility="private", message=PRIVATE_WORDS)

    chat_post_due(now=later())

    assert posted(slack) == []


def test_an_acknowledgement_hidden_before_it_settled_is_not_posted(channel, people, slack):
    lead, member, teammate = people
    acknowledgement = acknowledge(member, teammate)
    acknowledgement_hide(user=teammate, acknowledgement_id=acknowledgement.pk)

    chat_post_due(now=later())

    assert posted(slack) == []


def test_a_moment_is_posted_only_once_it_has_settled(channel, people, slack):
    lead, member, teammate = people
    acknowledge(member, teammate)

    chat_post_due(now=timezone.now())
    assert posted(slack) == []

    chat_post_due(now=later())
    assert len(slack.calls) == 1


def test_a_reflection_is_never_posted(channel, people, slack):
    ReflectionFactory(author=people[1], body=PRIVATE_WORDS, mood=2)

    chat_post_due(now=later())

    assert posted(slack) == []


def test_a_problem_claimed_and_solved_is_posted_with_its_title(channel, team, people, slack):
    lead, member, teammate = people
    orphan = problem(member, team)
    orphan_claim(user=teammate, orphan_id=orphan.pk)
    orphan_done(user=teammate, orphan_id=orphan.pk, note="Pinned the runner image")

    chat_post_due(now=later())

    assert posted(slack) == [
        [
            "Jonas said “leave it with me” about “The build breaks on Mondays”",
            "Jonas solved “The build breaks on Mondays”",
        ]
    ]
    assert "Pinned the runner image" not in slack.calls[0].request.body.decode()


def test_a_problem_only_posted_is_left_to_the_feed(channel, team, people, slack):
    problem(people[1], team)

    chat_post_due(now=later())

    assert posted(slack) == []


def test_an_agreement_adopted_is_posted_without_its_text(channel, team, people, slack):
    lead, member, _ = people
    agreement = AgreementFactory(team=team, kind=Agreement.Kind.WORKING_NORM, created_by=member)
    VersionFactory(agreement=agreement, number=1, text="We never merge on Fridays", proposed_by=member)

    agreement_adopt(user=lead, agreement_id=agreement.pk, number=1)
    chat_post_due(now=later())

    assert posted(slack) == [["Morgan adopted version 1 of the team's working norms"]]
    assert "Fridays" not in slack.calls[0].request.body.decode()


def test_a_session_starting_is_posted(channel, team, people, slack):
    exercise = share_exercise(title="Why we are here")

    session_start(lead=people[0], team_id=team.pk, exercise_slug=exercise.slug, client_id=uuid.uuid4())
    chat_post_due(now=later())

    assert posted(slack) == [["Morgan started a live session: Why we are here"]]


def test_a_session_scheduled_is_posted_when_it_opens_not_when_it_is_scheduled(channel, team, people, slack):
    from group_sessions.services import scheduled_sessions_open

    exercise = share_exercise(title="One point safer")
    session_start(
        lead=people[0],
        team_id=team.pk,
        exercise_slug=exercise.slug,
        client_id=uuid.uuid4(),
        starts_at=timezone.now() + timedelta(hours=1),
    )
    chat_post_due(now=later())
    assert posted(slack) == []

    opening = timezone.now() + timedelta(hours=1, minutes=1)
    scheduled_sessions_open(now=opening)
    chat_post_due(now=opening + timedelta(minutes=1))

    assert posted(slack) == [["Morgan started a live session: One point safer"]]


@pytest.fixture
def anonymous_share(team, people):
    """A live session at its share round, revealed, with the member's anonymous share."""
    lead, member, _ = people
    session = GroupSessionFactory(
        team=team,
        exercise=share_exercise(),
        started_by=lead,
        phase=GroupSession.Phase.STEP,
        step=1,
        revealed_steps=[1],
    )
    share = Share.objects.create(session=session, step=1, author=member, text=SHARE_WORDS, anonymous=True)
    return session, share


def test_an_anonymous_share_made_a_problem_and_an_agreement_never_reaches_the_chat(
    channel, people, anonymous_share, slack
):
    lead, member, teammate = people
    session, share = anonymous_share
    orphan = orphan_from_share(user=lead, session_id=session.pk, share_ref=share.ref)
    orphan_claim(user=teammate, orphan_id=orphan.pk)
    agreement_adopt_in_session(
        user=lead, session_id=session.pk, version=session.version, kind="working_norm", share_ref=share.ref
    )

    chat_post_due(now=later())

    [lines] = posted(slack)
    assert lines == [
        "Morgan started a live session: Why we are here",
        "Jonas said “leave it with me” about a problem raised in a live session",
        "Morgan adopted version 1 of the team's working norms",
    ]
    body = slack.calls[0].request.body.decode()
    assert SHARE_WORDS[:40] not in body and "Priya" not in body


def test_several_moments_go_in_one_post_in_the_order_they_happened(channel, team, people, slack):
    lead, member, teammate = people
    acknowledge(member, teammate)
    orphan = problem(lead, team)
    orphan_claim(user=member, orphan_id=orphan.pk)
    acknowledge(teammate, member, behaviour="spoke_up")

    chat_post_due(now=later())

    assert posted(slack) == [
        [
            "Priya acknowledged Jonas (Jumped in)",
            "Priya said “leave it with me” about “The build breaks on Mondays”",
            "Jonas acknowledged Priya (Spoke up)",
        ]
    ]


def test_more_moments_than_a_post_carries_go_on_in_the_next_post(channel, people, slack, monkeypatch):
    monkeypatch.setattr("chat.delivery.MOMENTS_PER_POST", 3)
    lead, member, teammate = people
    for behaviour in ["jumped_in", "spoke_up", "helped", "took_initiative", "saw_me"]:
        acknowledge(member, teammate, behaviour=behaviour)

    chat_post_due(now=later())
    chat_post_due(now=later())

    assert posted(slack) == [
        [
            "Priya acknowledged Jonas (Jumped in)",
            "Priya acknowledged Jonas (Spoke up)",
            "Priya acknowledged Jonas (Helped)",
        ],
        ["Priya acknowledged Jonas (Took initiative)", "Priya acknowledged Jonas (Saw me as a person)"],
    ]


def test_each_moment_is_posted_once(channel, people, slack):
    lead, member, teammate = people
    acknowledge(member, teammate)
    chat_post_due(now=later())
    chat_post_due(now=later(2))

    acknowledge(teammate, member)
    chat_post_due(now=later(3))

    assert posted(slack) == [["Priya acknowledged Jonas (Jumped in)"], ["Jonas acknowledged Priya (Jumped in)"]]


def test_what_happened_before_the_channel_was_connected_is_not_posted(team, people, slack):
    lead, member, teammate = people
    acknowledge(member, teammate)
    ChannelFactory(team=team, connected_by=lead, url=SLACK_URL, feed_mark_at=later(), sessions_mark_at=later())

    chat_post_due(now=later(2))

    assert posted(slack) == []


def test_a_channel_posts_only_its_own_teams_moments(channel, organisation, people, slack):
    elsewhere = TeamFactory(organisation=organisation)
    one, other = MembershipFactory(team=elsewhere).user, MembershipFactory(team=elsewhere).user
    acknowledge(one, other)

    chat_post_due(now=later())

    assert posted(slack) == []


def test_names_are_literal_text_that_can_neither_mention_nor_format(channel, people, slack):
    lead, member, teammate = people
    member.display_name = "<!channel> *boss* [link](https://evil.example)"
    member.save(update_fields=["display_name"])
    acknowledge(member, teammate)

    chat_post_due(now=later())

    body = json.loads(slack.calls[0].request.body)
    runs = body["blocks"][1]["elements"][0]["elements"][0]["elements"]
    assert runs[0] == {"type": "text", "text": member.display_name, "style": {"bold": True}}
    assert "<!channel>" not in body["text"]  # the notification text is the only markup, and it is escaped


def test_microsoft_teams_gets_an_adaptive_card_of_literal_text(team, people):
    lead, member, teammate = people
    ChannelFactory(team=team, kind=Channel.Kind.TEAMS, url=TEAMS_URL)
    acknowledge(member, teammate)

    with responses.RequestsMock() as mock:
        mock.post(TEAMS_URL, status=202)
        chat_post_due(now=later())
        body = json.loads(mock.calls[0].request.body)

    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    lines = ["".join(run["text"] for run in block["inlines"]) for block in card["body"]]
    assert lines == [f"{team.name} in Humble", "Priya acknowledged Jonas (Jumped in)"]
    assert Channel.objects.get(team=team).last_posted_at is not None


def test_the_console_channel_logs_its_posts_and_sends_nothing(team, people, caplog):
    lead, member, teammate = people
    ChannelFactory(team=team, kind=Channel.Kind.CONSOLE, url="")
    acknowledge(member, teammate)

    with responses.RequestsMock() as mock, caplog.at_level(logging.INFO, logger="chat.webhooks"):
        chat_post_due(now=later())

    assert len(mock.calls) == 0
    assert "Priya acknowledged Jonas (Jumped in)" in caplog.text


def test_the_demo_organisation_has_a_connected_console_channel():
    content_pack_load()
    demo_seed()

    channel = Channel.objects.get()
    assert (channel.team.name, channel.kind, channel.status) == ("North", Channel.Kind.CONSOLE, Channel.Status.ACTIVE)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_post_each_moment_once(organisation):
    teams = []
    for n in range(6):
        team = TeamFactory(organisation=organisation, name=f"Team {n}")
        one, other = MembershipFactory(team=team).user, MembershipFactory(team=team).user
        ChannelFactory(team=team, url=f"https://hooks.slack.com/services/T0/B{n}/secret{n}")
        acknowledge(one, other)
        teams.append(team)
    errors = []

    def slow_ok(request):
        time.sleep(0.02)
        return 200, {}, "ok"

    def work(now):
        try:
            chat_post_due(now=now)
        except Exception as error:  # surfaced below: a worker must not crash
            errors.append(error)
        finally:
            close_old_connections()

    with responses.RequestsMock() as mock:
        for n in range(6):
            mock.add_callback(responses.POST, f"https://hooks.slack.com/services/T0/B{n}/secret{n}", callback=slow_ok)
        now = later()
        workers = [threading.Thread(target=work, args=(now,)) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        chat_post_due(now=now)
        posts = Counter(call.request.url for call in mock.calls)

    assert errors == []
    assert sorted(posts.values()) == [1] * 6


# Failures: retried with backoff, never doubled, and the channel turned off after too many


def test_a_failed_post_is_sent_again_later_with_the_same_words(channel, people, slack_answers):
    lead, member, teammate = people
    slack_answers.post(SLACK_URL, status=500)
    slack_answers.post(SLACK_URL, body="ok")
    acknowledge(member, teammate)
    first = later()

    chat_post_due(now=first)
    chat_post_due(now=first + timedelta(seconds=30))  # backing off: not yet
    chat_post_due(now=first + timedelta(minutes=2))

    assert len(slack_answers.calls) == 2
    first_body, second_body = (json.loads(call.request.body) for call in slack_answers.calls)
    assert first_body == second_body
    assert not Post.objects.exists()


def test_rate_limited_it_waits_as_long_as_retry_after_asks(channel, people, slack_answers):
    lead, member, teammate = people
    slack_answers.post(SLACK_URL, status=429, headers={"Retry-After": "600"})
    slack_answers.post(SLACK_URL, body="ok")
    acknowledge(member, teammate)
    first = later()

    chat_post_due(now=first)
    assert Post.objects.get().due_at == first + timedelta(seconds=600)
    chat_post_due(now=first + timedelta(minutes=5))  # past the backoff, still inside Retry-After
    assert len(slack_answers.calls) == 1

    chat_post_due(now=first + timedelta(minutes=10))
    assert len(slack_answers.calls) == 2


def test_a_post_that_could_not_connect_is_sent_again(channel, people, slack_answers):
    lead, member, teammate = people
    slack_answers.post(SLACK_URL, body=requests.ConnectionError(MaxRetryError(None, SLACK_URL, reason=None)))
    slack_answers.post(SLACK_URL, body="ok")
    acknowledge(member, teammate)
    first = later()

    chat_post_due(now=first)
    chat_post_due(now=first + timedelta(minutes=2))

    assert len(slack_answers.calls) == 2
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    "broken", [requests.ReadTimeout("no answer in time"), requests.ConnectionError("Connection aborted.")]
)
def test_a_post_that_may_have_arrived_is_never_sent_again(channel, people, slack_answers, broken):
    lead, member, teammate = people
    slack_answers.post(SLACK_URL, body=broken)
    slack_answers.post(SLACK_URL, body="ok")
    acknowledge(member, teammate)
    first = later()
    chat_post_due(now=first)

    acknowledge(teammate, member)
    chat_post_due(now=first + timedelta(minutes=2))

    assert [post_lines(call) for call in slack_answers.calls] == [
        ["Priya acknowledged Jonas (Jumped in)"],
        ["Jonas acknowledged Priya (Jumped in)"],
    ]
    assert Channel.objects.get().status == Channel.Status.ACTIVE


class WorkerDied(BaseException):
    """The worker's process ending in the middle of a send (not an error it could catch)."""


def test_a_post_whose_worker_died_while_sending_is_not_sent_again(channel, people, slack_answers):
    lead, member, teammate = people

    def die(request):
        raise WorkerDied

    slack_answers.add_callback(responses.POST, SLACK_URL, callback=die)
    slack_answers.post(SLACK_URL, body="ok")
    acknowledge(member, teammate)
    first = later()
    with pytest.raises(WorkerDied):
        chat_post_due(now=first)
    assert Post.objects.get().status == Post.Status.SENDING

    acknowledge(teammate, member)
    chat_post_due(now=first + timedelta(minutes=1))  # still under the dead worker's lease
    chat_post_due(now=first + LEASE + timedelta(seconds=1))

    assert [post_lines(call) for call in slack_answers.calls[1:]] == [["Jonas acknowledged Priya (Jumped in)"]]


def test_after_too_many_failures_in_a_row_the_channel_is_turned_off_with_the_reason(
    client_for, channel, people, slack_answers
):
    lead, member, teammate = people
    slack_answers.post(SLACK_URL, status=503)
    acknowledge(member, teammate)
    moment = later()

    for _ in range(MAX_FAILURES + 2):
        chat_post_due(now=moment)
        moment += timedelta(hours=2)

    assert len(slack_answers.calls) == MAX_FAILURES
    status = client_for(lead).get(chat_url(channel.team)).json()
    assert status["status"] == "failing"
    assert f"The last {MAX_FAILURES} attempts to post failed (the last: HTTP 503)" in status["failure"]
    assert not Post.objects.exists()


@pytest.mark.parametrize("answer", [404, 410, 403])
def test_an_address_the_service_no_longer_knows_turns_the_channel_off_at_once(channel, people, slack_answers, answer):
    lead, member, teammate = people
    slack_answers.post(SLACK_URL, status=answer)
    acknowledge(member, teammate)

    chat_post_due(now=later())
    chat_post_due(now=later(120))

    assert len(slack_answers.calls) == 1
    channel.refresh_from_db()
    assert channel.status == Channel.Status.FAILING
    assert f"Slack answered HTTP {answer}: the webhook address no longer works" in channel.failure


def test_a_redirect_is_not_followed(channel, people, slack_answers):
    lead, member, teammate = people
    slack_answers.post(SLACK_URL, status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    acknowledge(member, teammate)

    chat_post_due(now=later())

    assert [call.request.url for call in slack_answers.calls] == [SLACK_URL]
    assert Post.objects.get().failures == 1


def test_a_failing_channel_posts_nothing_until_turned_back_on_then_starts_over(
    client_for, channel, people, slack_answers
):
    lead, member, teammate = people
    slack_answers.post(SLACK_URL, body="ok")
    Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.FAILING, failure="Slack answered HTTP 404")
    acknowledge(member, teammate)
    chat_post_due(now=later())
    assert posted(slack_answers) == []

    response = client_for(lead).post(chat_url(channel.team) + "/enable")
    chat_post_due(now=later())

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["failure"]) == ("active", None)
    [greeting] = posted(slack_answers)
    assert greeting[0].startswith("Humble will post")  # what happened while it was off is not posted


def test_connecting_again_drops_the_post_on_its_way_to_the_old_address(client_for, channel, people, slack_answers):
    lead, member, teammate = people
    new_url = "https://hooks.slack.com/services/T0HUMBLE1/B0NEW/anotherSecret"
    slack_answers.post(SLACK_URL, status=500)
    slack_answers.post(new_url, body="ok")
    acknowledge(member, teammate)
    chat_post_due(now=later())

    client_for(lead).put(chat_url(channel.team), {"kind": "slack", "url": new_url}, format="json")
    chat_post_due(now=later(5))

    assert [call.request.url for call in slack_answers.calls] == [SLACK_URL, new_url]
    assert post_lines(slack_answers.calls[1])[0].startswith("Humble will post")


def test_after_the_keys_rotate_the_worker_still_reads_the_address(team, lead, slack, settings):
    new_key = Fernet.generate_key().decode()
    chat_connect(user=lead, team_id=team.pk, kind="slack", url=SLACK_URL)

    settings.REFLECTION_KEYS = [new_key, *settings.REFLECTION_KEYS]
    assert chat_keys_rotate() == 1
    settings.REFLECTION_KEYS = [new_key]
    chat_post_due(now=timezone.now())

    assert len(slack.calls) == 1


def test_an_address_no_key_can_read_turns_the_channel_off(team, lead, slack, settings):
    chat_connect(user=lead, team_id=team.pk, kind="slack", url=SLACK_URL)

    settings.REFLECTION_KEYS = [Fernet.generate_key().decode()]
    chat_post_due(now=timezone.now())

    assert posted(slack) == []
    assert "can no longer be read" in Channel.objects.get().failure


# Cost


def test_a_post_of_many_moments_costs_the_worker_as_many_queries_as_one_of_few(channel, team, people, slack):
    lead, member, teammate = people

    def moments(n):
        for _ in range(n):
            acknowledge(member, teammate)
            orphan = problem(lead, team)
            orphan_claim(user=teammate, orphan_id=orphan.pk)
            orphan_done(user=teammate, orphan_id=orphan.pk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            chat_post_due(now=later())
        return len(captured)

    moments(1)
    few = queries()
    moments(4)
    many = queries()

    assert [len(lines) for lines in posted(slack)] == [3, 12]
    assert few == many
