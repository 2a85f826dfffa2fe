"""Pairs over HTTP: inviting a colleague, answering the invitation, and doing the exercise
each in one's own time, with answers revealed to both once both answered."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from exercises.factories import ExerciseFactory
from exercises.models import Run
from nudges.kinds import render
from nudges.models import Kind, Nudge
from pairs.factories import PairExerciseFactory
from pairs.models import Pair
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

PAIRS = "/api/v1/pairs"


@pytest.fixture
def exercise():
    return PairExerciseFactory()


def invite(client, exercise, partner, **fields):
    body = {"exercise": exercise.slug, "partner": partner.pk, "client_id": str(uuid.uuid4()), **fields}
    return client.post(PAIRS, body, format="json")


@pytest.fixture
def invited(client_for, member, teammate, exercise):
    response = invite(client_for(member), exercise, teammate, note="Coffee on Thursday?")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def accepted(client_for, teammate, invited):
    response = client_for(teammate).post(f"{PAIRS}/{invited['id']}/accept", {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def answer(client, pair, step, text):
    return client.post(f"{PAIRS}/{pair['id']}/answers", {"step": step, "text": text}, format="json")


def events_of(user, type):
    return list(Event.objects.filter(user=user, type=type))


# Inviting


def test_a_person_invites_a_colleague_and_the_colleague_is_told(invited, member, teammate):
    assert invited["status"] == "open"
    assert invited["partner"]["id"] == teammate.pk and invited["note"] == "Coffee on Thursday?"
    (event,) = events_of(teammate, "pair.invited")
    assert event.data["pair_id"] == invited["id"] and event.data["invited_by"]["id"] == member.pk
    nudge = Nudge.objects.get(user=teammate, kind=Kind.PAIR_INVITED)
    assert nudge.context["pair_id"] == invited["id"]


def test_the_invitation_nudge_speaks_english_and_french():
    facts = {"invited_by": "Sam", "title": "What fills your weekend?"}
    assert render(kind=Kind.PAIR_INVITED, locale="en", facts=facts).title == "Sam invited you to a pair exercise"
    assert render(kind=Kind.PAIR_INVITED, locale="fr", facts=facts).title == "Sam vous invite à un exercice à deux"


def test_the_same_client_id_again_is_the_same_invitation(client_for, member, teammate, exercise):
    client_id = str(uuid.uuid4())
    first = invite(client_for(member), exercise, teammate, client_id=client_id)
    again = invite(client_for(member), exercise, teammate, client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Pair.objects.count() == 1 and len(events_of(teammate, "pair.invited")) == 1


def test_a_client_id_reused_for_another_partner_is_a_conflict(client_for, member, teammate, colleague, exercise):
    client_id = str(uuid.uuid4())
    invite(client_for(member), exercise, teammate, client_id=client_id)
    response = invite(client_for(member), exercise, colleague, client_id=client_id)
    assert response.status_code == 409 and error_codes(response) == [(None, "idempotency_conflict")]


def test_only_a_pair_exercise_is_done_in_pairs(client_for, member, teammate):
    response = invite(client_for(member), ExerciseFactory(), teammate)
    assert response.status_code == 400 and error_codes(response) == [("exercise", "not_a_pair_exercise")]


def test_nobody_invites_themselves(client_for, member, exercise):
    response = invite(client_for(member), exercise, member)
    assert error_codes(response) == [("partner", "self_pair")]


def test_a_colleague_of_another_team_may_be_invited(client_for, member, colleague, exercise):
    assert invite(client_for(member), exercise, colleague).status_code == 201


def test_nobody_outside_the_organisation_can_be_invited(client_for, member, outsider, exercise):
    response = invite(client_for(member), exercise, outsider)
    assert response.status_code == 400 and error_codes(response) == [("partner", "partner_not_found")]
    assert not events_of(outsider, "pair.invited")


def test_nobody_has_more_than_a_few_invitations_open_at_once(client_for, member, teammate, exercise, settings):
    settings.PAIR_OPEN_INVITATIONS_MAX = 2
    client = client_for(member)
    assert [invite(client, exercise, teammate).status_code for _ in range(2)] == [201, 201]
    response = invite(client, exercise, teammate)
    assert response.status_code == 429 and error_codes(response) == [(None, "pair_invitations_limit")]
    assert int(response["Retry-After"]) > 0


def test_an_expired_invitation_frees_its_place(client_for, member, teammate, exercise, settings):
    settings.PAIR_OPEN_INVITATIONS_MAX = 1
    first = invite(client_for(member), exercise, teammate).json()
    Pair.objects.filter(pk=first["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert invite(client_for(member), exercise, teammate).status_code == 201


# Answering the invitation


def test_the_partner_accepts_and_each_has_a_run_started(accepted, member, teammate):
    assert accepted["status"] == "active"
    assert Run.objects.filter(user__in=[member, teammate], completed_at=None).count() == 2
    (event,) = events_of(member, "pair.accepted")
    assert event.data["partner"]["id"] == teammate.pk


def test_accepting_again_is_a_retry(client_for, teammate, accepted):
    again = client_for(teammate).post(f"{PAIRS}/{accepted['id']}/accept", {}, format="json")
    assert again.status_code == 200 and again.json()["version"] == accepted["version"]
    assert Run.objects.filter(user=teammate).count() == 1


def test_only_the_partner_accepts(client_for, member, invited):
    response = client_for(member).post(f"{PAIRS}/{invited['id']}/accept", {}, format="json")
    assert response.status_code == 403 and error_codes(response) == [(None, "not_the_partner")]


def test_a_declined_invitation_reads_as_closed_to_the_inviter_and_tells_them_nothing(
    client_for, member, teammate, invited
):
    assert client_for(teammate).post(f"{PAIRS}/{invited['id']}/decline").json()["status"] == "closed"
    assert client_for(member).get(f"{PAIRS}/{invited['id']}").json()["status"] == "closed"
    assert not Event.objects.filter(user=member).exists()


def test_an_expired_invitation_reads_as_closed_and_cannot_be_accepted(client_for, member, teammate, invited):
    Pair.objects.filter(pk=invited["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client_for(member).get(f"{PAIRS}/{invited['id']}").json()["status"] == "closed"
    response = client_for(teammate).post(f"{PAIRS}/{invited['id']}/accept", {}, format="json")
    assert response.status_code == 409 and error_codes(response) == [(None, "pair_not_open")]


def test_the_invitation_nudge_is_not_sent_once_the_invitation_closed(client_for, teammate, invited):
    from nudges.kinds import KINDS

    client_for(teammate).post(f"{PAIRS}/{invited['id']}/decline")
    nudge = Nudge.objects.get(user=teammate, kind=Kind.PAIR_INVITED)
    assert KINDS[Kind.PAIR_INVITED].still_relevant(nudge=nudge, user=teammate, local=None) == "invitation_closed"


def test_the_inviter_cancels_an_open_invitation_and_only_they_can(client_for, member, teammate, invited):
    refused = client_for(teammate).post(f"{PAIRS}/{invited['id']}/cancel")
    assert refused.status_code == 403 and error_codes(refused) == [(None, "not_the_inviter")]
    assert client_for(member).post(f"{PAIRS}/{invited['id']}/cancel").json()["status"] == "closed"


def test_my_pairs_are_listed_newest_first_with_a_cursor(client_for, member, teammate, exercise):
    client = client_for(member)
    ids = [invite(client, exercise, teammate).json()["id"] for _ in range(3)]
    page = client.get(f"{PAIRS}?limit=2").json()
    assert [p["id"] for p in page["results"]] == ids[::-1][:2] and page["next"]
    rest = client.get(page["next"]).json()
    assert [p["id"] for p in rest["results"]] == ids[:1]
    assert [p["id"] for p in client_for(teammate).get(PAIRS).json()["results"]] == ids[::-1]


# Doing it, each in one's own time


def test_an_answer_stays_hidden_from_the_partner_until_both_answered(client_for, member, teammate, accepted):
    mine = answer(client_for(member), accepted, 2, "When I can focus for a morning").json()
    assert mine["my_answers"] == [{"step": 2, "text": "When I can focus for a morning"}]
    theirs = client_for(teammate).get(f"{PAIRS}/{accepted['id']}").json()
    assert "focus for a morning" not in str(theirs)
    assert theirs["rounds"][0] == {"step": 2, "answered_by": [member.pk], "revealed": False, "answers": []}

    both = answer(client_for(teammate), accepted, 2, "When nobody interrupts").json()
    assert both["rounds"][0]["revealed"]
    assert {a["text"] for a in both["rounds"][0]["answers"]} == {
        "When I can focus for a morning",
        "When nobody interrupts",
    }
    assert "When nobody interrupts" in str(client_for(member).get(f"{PAIRS}/{accepted['id']}").json()["rounds"])


def test_an_answer_can_be_changed_until_the_step_is_revealed(client_for, member, teammate, accepted):
    answer(client_for(member), accepted, 2, "First thought")
    assert answer(client_for(member), accepted, 2, "Second thought").json()["my_answers"][0]["text"] == "Second thought"
    answer(client_for(teammate), accepted, 2, "Mine")
    refused = answer(client_for(member), accepted, 2, "Third thought")
    assert refused.status_code == 409 and error_codes(refused) == [(None, "round_revealed")]


def test_only_share_steps_take_answers(client_for, member, accepted):
    response = answer(client_for(member), accepted, 1, "A prompt needs no answer")
    assert error_codes(response) == [("step", "not_a_round")]


def test_an_invitation_not_yet_accepted_takes_no_answers(client_for, member, invited):
    response = answer(client_for(member), invited, 2, "Too early")
    assert response.status_code == 409 and error_codes(response) == [(None, "pair_not_active")]


def test_once_both_answered_every_step_each_run_completes_and_each_is_prompted(client_for, member, teammate, accepted):
    for step in (2, 3):
        answer(client_for(member), accepted, step, f"mine {step}")
        last = answer(client_for(teammate), accepted, step, f"theirs {step}")
    assert last.json()["status"] == "completed"
    assert Run.objects.filter(user__in=[member, teammate], completed_at__isnull=False).count() == 2
    for person, other in ((member, teammate), (teammate, member)):
        (invite_to_reflect,) = events_of(person, "pair.reflection_invite")
        assert invite_to_reflect.data["run_id"] == Run.objects.get(user=person).pk
        (completed,) = events_of(person, "pair.completed")
        assert completed.data["partner"] == {"id": other.pk, "display_name": other.display_name}
    assert Nudge.objects.filter(kind=Kind.REFLECT_AFTER, user__in=[member, teammate]).count() == 2


def test_with_an_agreed_time_either_may_reveal_a_step_alone_after_it(client_for, member, teammate, invited):
    client_for(teammate).post(f"{PAIRS}/{invited['id']}/accept", {"reveal_after_seconds": 3600}, format="json")
    answer(client_for(member), invited, 2, "Waiting for you")
    too_soon = client_for(member).post(f"{PAIRS}/{invited['id']}/reveal", {"step": 2}, format="json")
    assert too_soon.status_code == 409 and error_codes(too_soon) == [(None, "reveal_not_yet")]
    Pair.objects.get(pk=invited["id"]).answers.update(created_at=timezone.now() - timedelta(hours=2))
    revealed = client_for(teammate).post(f"{PAIRS}/{invited['id']}/reveal", {"step": 2}, format="json").json()
    assert revealed["rounds"][0]["revealed"] and revealed["rounds"][0]["answers"][0]["text"] == "Waiting for you"


def test_without_an_agreed_time_nobody_reveals_alone(client_for, member, accepted):
    answer(client_for(member), accepted, 2, "Mine")
    Pair.objects.get(pk=accepted["id"]).answers.update(created_at=timezone.now() - timedelta(days=30))
    response = client_for(member).post(f"{PAIRS}/{accepted['id']}/reveal", {"step": 2}, format="json")
    assert error_codes(response) == [(None, "reveal_not_yet")]


# Nobody else


def test_a_pairs_answers_reach_nobody_but_its_two_people(client_for, member, teammate, lead, coach, accepted, outsider):
    answer(client_for(member), accepted, 2, "PAIR-SECRET: I dread Mondays")
    answer(client_for(teammate), accepted, 2, "PAIR-SECRET: me too")
    for other in (lead, coach, outsider):
        client = client_for(other)
        assert client.get(f"{PAIRS}/{accepted['id']}").status_code == 404
        assert "PAIR-SECRET" not in client.get(PAIRS).content.decode()
        assert "PAIR-SECRET" not in client.get("/api/v1/me/export").content.decode()
    assert (
        "PAIR-SECRET"
        not in client_for(lead).get(f"/api/v1/teams/{lead.memberships.get().team_id}/feed").content.decode()
    )


def test_the_admin_lists_pairs_without_what_the_two_wrote(client, staff_admin, client_for, member, teammate, accepted):
    answer(client_for(member), accepted, 2, "PAIR-SECRET: admin must not see this")
    client.force_login(staff_admin)
    for url in ("/admin/pairs/pair/", f"/admin/pairs/pair/{accepted['id']}/change/"):
        page = client.get(url)
        assert page.status_code == 200
        assert "PAIR-SECRET" not in page.content.decode() and "Coffee on Thursday" not in page.content.decode()
