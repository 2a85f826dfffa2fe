"""What other apps read about pairs: who practised with whom, and when; never what they said."""

from datetime import UTC, datetime

import pytest

from pairs.factories import PairFactory
from pairs.models import Pair
from pairs.selectors import pairs_completed_between

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 3, 9, tzinfo=UTC)


def completed(at, **kwargs):
    return PairFactory(status=Pair.Status.COMPLETED, completed_at=at, **kwargs)


def test_pairs_completed_in_the_window_are_listed_lower_id_first():
    pair = completed(datetime(2026, 3, 4, 12, tzinfo=UTC))
    low, high = sorted([pair.inviter_id, pair.partner_id])
    assert pairs_completed_between(start=MONDAY, end=NEXT_MONDAY) == [(low, high, pair.completed_at)]


def test_the_window_includes_its_start_and_excludes_its_end():
    at_start = completed(MONDAY)
    completed(NEXT_MONDAY)
    assert [row[2] for row in pairs_completed_between(start=MONDAY, end=NEXT_MONDAY)] == [at_start.completed_at]


def test_pairs_not_completed_are_not_listed():
    for status in (Pair.Status.INVITED, Pair.Status.ACCEPTED, Pair.Status.DECLINED, Pair.Status.CANCELLED):
        PairFactory(status=status)
    assert pairs_completed_between(start=MONDAY, end=NEXT_MONDAY) == []


def test_the_order_of_ids_does_not_depend_on_who_invited():
    first = completed(datetime(2026, 3, 3, tzinfo=UTC))
    second = completed(datetime(2026, 3, 5, tzinfo=UTC), inviter=first.partner, partner=first.inviter)
    rows = pairs_completed_between(start=MONDAY, end=NEXT_MONDAY)
    assert [row[:2] for row in rows] == [tuple(sorted([first.inviter_id, first.partner_id]))] * 2
    assert rows[1][2] == second.completed_at
