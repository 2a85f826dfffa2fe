"""An acknowledgement as one person sees it: what depends on who is looking is decided here.

- `client_id` is the sender's own retry key, of no use (or business) to anyone else;
- `read_at` only ever reaches the recipient: no read receipts pressuring anyone;
- `my_reactions` are the viewer's own.
"""

from accounts.models import User
from accounts.presenters import public_person
from acknowledgements.models import Acknowledgement, Reaction


def acknowledgement_view(*, acknowledgement: Acknowledgement, viewer: User) -> dict:
    """Expects it read through acknowledgements.selectors, as `viewer` (its `reaction_marks`:
    each reaction's kind, the viewer's own ending in "*", or None for none)."""
    marks = acknowledgement.reaction_marks.split(",") if acknowledgement.reaction_marks else []
    counts = dict.fromkeys(Reaction.Kind.values, 0)
    for mark in marks:
        counts[mark.rstrip("*")] += 1
    return {
        "id": acknowledgement.pk,
        "sender": public_person(acknowledgement.sender),
        "recipient": public_person(acknowledgement.recipient),
        "message": acknowledgement.message,
        "behaviour": acknowledgement.behaviour,
        "visibility": acknowledgement.visibility,
        "client_id": acknowledgement.client_id if acknowledgement.sender_id == viewer.pk else None,
        "orphan": acknowledgement.orphan_id,
        "commitment": acknowledgement.commitment_id,
        "created_at": acknowledgement.created_at,
        "read_at": acknowledgement.read_at if acknowledgement.recipient_id == viewer.pk else None,
        "on_team_feed": acknowledgement.on_team_feed,
        "reactions": counts,
        "my_reactions": sorted(mark[:-1] for mark in marks if mark.endswith("*")),
    }
