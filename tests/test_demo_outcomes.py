"""The demo organisation shows what teams make: North's contribution agreement, reworded once
and commented on by South, and commitments kept and open."""

import pytest

from agreements.models import Agreement
from commitments.models import Commitment
from demo.seed import demo_seed
from exercises.services import content_pack_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    content_pack_load()
    demo_seed()


def test_north_has_a_contribution_agreement_with_two_versions_and_a_comment_from_south(demo):
    agreement = Agreement.objects.get(team__name="North", kind=Agreement.Kind.CONTRIBUTION)
    assert list(agreement.versions.order_by("number").values_list("number", "status")) == [(1, "past"), (2, "current")]
    assert [c.author.memberships.get().team.name for c in agreement.comments.all()] == ["South"]


def test_north_has_commitments_kept_and_open(demo):
    statuses = set(Commitment.objects.filter(team__name="North").values_list("status", flat=True))
    assert statuses == {"done", "open"}
