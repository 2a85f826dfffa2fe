"""The benchmark's bare view (tools/bench/baseline.py) does the API's work, so the API ÷ bare
ratio load.py prints measures the API's door and nothing else: the same answer, from the same
queries."""

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from acknowledgements.factories import AcknowledgementFactory, ReactionFactory
from acknowledgements.models import Acknowledgement
from agreements.factories import AgreementFactory, VersionFactory
from commitments.models import Commitment
from exercises.factories import ExerciseFactory, ThemeFactory
from orphans.factories import ActivityFactory, OrphanFactory
from orphans.models import Activity
from pairs.factories import PairExerciseFactory
from reflections.factories import ReflectionFactory

# Appended, not put first: tools/bench has a nudges.py of its own.
sys.path.append(str(Path(__file__).resolve().parent.parent / "tools" / "bench"))

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _baseline_urls(settings):
    settings.ROOT_URLCONF = "baseline"


def answers_alike(client, endpoint: str) -> dict:
    """The bare view answers what the API answers, with as many queries (once the process keeps
    the catalogue, as a server soon does)."""
    client.get(f"/api/v1/{endpoint}")
    with CaptureQueriesContext(connection) as api_queries:
        api = client.get(f"/api/v1/{endpoint}")
    with CaptureQueriesContext(connection) as bare_queries:
        bare = client.get(f"/bench/bare/{endpoint}")
    assert api.status_code == bare.status_code == 200
    api_answer, bare_answer = api.json(), bare.json()
    if "next" in api_answer:
        # Its cursor is the bare view's own; what matters is that there is a next page or not.
        assert (api_answer.pop("next") is None) == (bare_answer.pop("next") is None)
    assert bare_answer == api_answer
    assert len(bare_queries) == len(api_queries)
    return api_answer


def test_todays_screen_with_a_solo_exercise_in_french(client_for, member):
    member.locale = "fr-FR"
    member.save(update_fields=["locale"])
    theme = ThemeFactory(translations={"fr": {"name": "Écoute"}})
    ExerciseFactory(theme=theme, translations={"fr": {"title": "Écouter jusqu'au bout"}})

    assert answers_alike(client_for(member), "today")["exercise"]["theme"]["name"] == "Écoute"


def test_todays_screen_with_a_partner_to_suggest(client_for, member, teammate):
    PairExerciseFactory()

    assert answers_alike(client_for(member), "today")["partner"]["id"] == teammate.pk


def test_a_team_feed_with_every_kind_of_item(client_for, member, teammate, lead, team):
    shared = AcknowledgementFactory(sender=teammate, recipient=member, visibility=Acknowledgement.Visibility.TEAM)
    ReactionFactory(acknowledgement=shared, user=lead, kind="heart")
    orphan = OrphanFactory(team=team, posted_by=lead)
    ActivityFactory(orphan=orphan, actor=lead, kind=Activity.Kind.POSTED)
    VersionFactory(
        agreement=AgreementFactory(team=team, created_by=lead),
        proposed_by=lead,
        status="current",
        adopted_by=lead,
        adopted_at=timezone.now(),
    )
    Commitment.objects.create(
        team=team, volunteer=teammate, text="Tidy the board", status=Commitment.Status.DONE, done_at=timezone.now()
    )

    feed = answers_alike(client_for(member), f"teams/{team.pk}/feed")

    assert {item["type"] for item in feed["results"]} == {
        "acknowledgement",
        "orphan.posted",
        "agreement.adopted",
        "commitment.done",
    }


def test_a_journal_of_more_than_a_page_with_words_the_server_keeps_and_words_end_to_end(client_for, member):
    theme = ThemeFactory()
    now = timezone.now()
    for n in range(21):
        ReflectionFactory(author=member, occurred_at=now - timedelta(hours=n), themes=[theme])
    ReflectionFactory(
        author=member, body_ciphertext="", document="c2VhbGVk", key_id="key-1", document_format=1, occurred_at=now
    )

    journal = answers_alike(client_for(member), "reflections")

    assert [entry["document"] is not None for entry in journal["results"][:2]] == [True, False]
