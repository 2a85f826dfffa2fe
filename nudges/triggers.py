"""What other apps tell nudges: something happened that may be worth a nudge.

Features call these in the transaction of the cause, with plain values (ids, times and the
words the nudge will show), so this module needs no feature app. Each plans its nudge under a
dedupe key naming the cause, so a cause that happens twice (a retried request) nudges once.
Whether a nudge is still worth sending is for its kind to decide, just before sending. The one
thing features may ask back is whether a nudge reached someone (a reflection names the nudge that
invited it).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from nudges.models import Device, Kind, Nudge
from nudges.planning import nudges_insert

SEEN_WINDOW = timedelta(minutes=10)
REFLECT_DELAY = timedelta(minutes=30)
ORPHAN_UNCLAIMED_AFTER = timedelta(weeks=1)


def nudge_seen(*, recipient_id: int, at: datetime) -> None:
    """Someone acknowledged this person: acknowledgements within one 10-minute window make one nudge."""
    window = int(at.timestamp() // SEEN_WINDOW.total_seconds())
    due = datetime.fromtimestamp((window + 1) * SEEN_WINDOW.total_seconds(), tz=ZoneInfo("UTC"))
    key = f"seen:{recipient_id}:{window}"
    nudges_insert(nudges=[Nudge(user_id=recipient_id, kind=Kind.SEEN, dedupe_key=key, due_at=due)])


def nudge_reflect_after_run(
    *, user_id: int, run_id: int, completed_at: datetime, after: timedelta | None = None
) -> None:
    """`after` the run (an exercise's follow-up delay), else REFLECT_DELAY."""
    nudges_insert(
        nudges=[
            Nudge(
                user_id=user_id,
                kind=Kind.REFLECT_AFTER,
                dedupe_key=f"reflect_after:run:{run_id}",
                due_at=completed_at + (after or REFLECT_DELAY),
                context={"run_id": run_id},
            )
        ]
    )


def nudge_reflect_after_session(*, session_id: int, ended_at: datetime, user_ids: list[int]) -> None:
    nudges_insert(
        nudges=[
            Nudge(
                user_id=user_id,
                kind=Kind.REFLECT_AFTER,
                dedupe_key=f"reflect_after:session:{session_id}:{user_id}",
                due_at=ended_at + REFLECT_DELAY,
                context={"session_id": session_id},
            )
            for user_id in user_ids
        ]
    )


def nudge_session_started(
    *, session_id: int, user_ids: list[int], started_by: str, exercise: str, title: str, team: str
) -> None:
    """To the team: `started_by` (the lead's public name) started the exercise `exercise`
    (`title` in English; each person reads it in their language) with `team`."""
    facts = {"session_id": session_id, "started_by": started_by, "exercise": exercise, "title": title, "team": team}
    nudges_insert(
        nudges=[
            Nudge(
                user_id=user_id,
                kind=Kind.SESSION_STARTED,
                dedupe_key=f"session_started:{session_id}:{user_id}",
                due_at=timezone.now(),
                context=facts,
            )
            for user_id in user_ids
        ]
    )


def nudge_orphan_claimed(*, orphan_id: int, title: str, poster_id: int, claimant_id: int, claimant_name: str) -> None:
    """To the poster: a teammate (`claimant_name`, their public name) said "leave it with me"."""
    nudges_insert(
        nudges=[
            Nudge(
                user_id=poster_id,
                kind=Kind.ORPHAN_CLAIMED,
                dedupe_key=f"orphan_claimed:{orphan_id}:{claimant_id}",
                due_at=timezone.now(),
                context={"orphan_id": orphan_id, "name": claimant_name, "title": title},
            )
        ]
    )


def nudge_orphan_reminder(*, orphan_id: int, title: str, claimant_id: int, claim_id: int, claimed_at: datetime) -> None:
    """To the claimant, if a while goes by with no progress on what they took on."""
    nudges_insert(
        nudges=[
            Nudge(
                user_id=claimant_id,
                kind=Kind.ORPHAN_REMINDER,
                dedupe_key=f"orphan_reminder:{orphan_id}:{claim_id}",
                due_at=claimed_at + timedelta(days=settings.ORPHAN_REMINDER_DAYS),
                context={"orphan_id": orphan_id, "title": title, "claimed_at": claimed_at.isoformat()},
            )
        ]
    )


def nudge_pair_invited(*, pair_id: int, partner_id: int, invited_by: str, exercise: str, title: str) -> None:
    """To the partner: `invited_by` (the inviter's public name) asks them to do the exercise
    `exercise` (`title` in English; they read it in their language) together."""
    nudges_insert(
        nudges=[
            Nudge(
                user_id=partner_id,
                kind=Kind.PAIR_INVITED,
                dedupe_key=f"pair_invited:{pair_id}",
                due_at=timezone.now(),
                context={"pair_id": pair_id, "invited_by": invited_by, "exercise": exercise, "title": title},
            )
        ]
    )


def nudge_claim_handed_back(*, orphan_id: int, title: str, lead_ids: list[int], activity_id: int) -> None:
    """To the team's leads: a claim on `title` was handed back or reopened (activity `activity_id`)."""
    nudges_insert(
        nudges=[
            Nudge(
                user_id=lead_id,
                kind=Kind.CLAIM_HANDED_BACK,
                dedupe_key=f"claim_handed_back:{activity_id}:{lead_id}",
                due_at=timezone.now(),
                context={"orphan_id": orphan_id, "title": title},
            )
            for lead_id in lead_ids
        ]
    )


def nudge_orphan_unclaimed(*, orphan_id: int, title: str, lead_ids: list[int], posted_at: datetime) -> None:
    """To the team's leads, a week after posting, if nobody has taken it on."""
    nudges_insert(
        nudges=[
            Nudge(
                user_id=lead_id,
                kind=Kind.ORPHAN_UNCLAIMED,
                dedupe_key=f"orphan_unclaimed:{orphan_id}:{lead_id}",
                due_at=posted_at + ORPHAN_UNCLAIMED_AFTER,
                context={"orphan_id": orphan_id, "title": title},
            )
            for lead_id in lead_ids
        ]
    )


def nudge_was_sent_to(*, user_id: int, nudge_id: int) -> bool:
    """Whether this nudge reached this person: what a reflection may say invited it."""
    return Nudge.objects.filter(pk=nudge_id, user_id=user_id, status=Nudge.Status.SENT).exists()


def devices_remove_all(*, user_id: int) -> int:
    """The person signed out everywhere: none of their devices gets another push."""
    deleted, _ = Device.objects.filter(user_id=user_id).delete()
    return deleted
