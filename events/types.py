"""The event types of the per-user stream and the keys of each one's data: part of the
documented protocol (README, "WebSocket protocol"). events_record refuses anything else, and a
test checks this table against the README."""

EVENT_TYPES: dict[str, frozenset[str]] = {
    "acknowledgement.received": frozenset({"acknowledgement_id", "sender", "behaviour", "visibility", "message"}),
    "acknowledgement.reaction": frozenset({"acknowledgement_id", "kind", "by"}),
    "session.started": frozenset({"session_id", "team", "exercise", "started_by"}),
    "session.reflection_invite": frozenset({"session_id", "team_id", "exercise"}),
    "nudge": frozenset({"nudge_id", "kind", "title", "body"}),
    "orphan.claimed": frozenset({"orphan_id", "team_id", "title", "claimed_by"}),
    "orphan.done": frozenset({"orphan_id", "team_id", "title", "done_by", "note"}),
    "orphan.reopened": frozenset({"orphan_id", "team_id", "title"}),
    "agreement.adopted": frozenset({"agreement_id", "team_id", "kind", "version", "adopted_by"}),
    "commitment.done": frozenset({"commitment_id", "team_id", "text", "volunteer"}),
    "pair.invited": frozenset({"pair_id", "exercise", "invited_by", "note", "expires_at"}),
    "pair.accepted": frozenset({"pair_id", "exercise", "partner"}),
    "pair.reflection_invite": frozenset({"pair_id", "run_id", "exercise"}),
    "pair.completed": frozenset({"pair_id", "exercise", "partner"}),
}
