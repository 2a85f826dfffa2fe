"""Every kind of nudge, one entry each (nudges/kinds/<kind>.py), and what a nudge says.

Texts are in English and French through Django's translations (nudges/locale/); the profile's
locale picks, falling back to English.
"""

from django.utils import translation

from nudges.kinds import (
    agreement_review,
    claim_handed_back,
    commitment_check_back,
    daily_exercise,
    orphan_claimed,
    orphan_reminder,
    orphan_unclaimed,
    pair_invited,
    reconnect,
    reflect_after,
    seen,
    session_started,
    team_quiet,
    weekly_lookback,
)
from nudges.kinds.base import NudgeKind, Text

KINDS: dict[str, NudgeKind] = {
    kind.name: kind
    for kind in (
        daily_exercise.KIND,
        reflect_after.KIND,
        seen.KIND,
        session_started.KIND,
        weekly_lookback.KIND,
        reconnect.KIND,
        orphan_claimed.KIND,
        orphan_reminder.KIND,
        pair_invited.KIND,
        agreement_review.KIND,
        commitment_check_back.KIND,
        claim_handed_back.KIND,
        team_quiet.KIND,
        orphan_unclaimed.KIND,
    )
}


def render(*, kind: str, locale: str, facts: dict) -> Text:
    with translation.override(locale.split("-")[0] if locale else "en"):
        return KINDS[kind].text(facts)
