"""Every change to a live group session: one function per command, each recording the events
it causes and announcing the change to the room after commit.

Facilitator commands carry the session version the client last saw; a command against an old
version is refused (stale_version), so two "next" taps at once advance once.
"""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.presenters import public_person
from accounts.services import person_lock
from common.errors import Conflict, Invalid, LimitReached, NotAllowed, NotFound
from common.idempotency import earlier_attempt
from events.channels import publish, session_group
from events.services import events_record
from exercises.models import Exercise, Step
from group_sessions.frames import presence_frame, round_frame, round_progress_frame, state_frame
from group_sessions.models import SHARE_MAX_LENGTH, Connection, GroupSession, SessionSeries, Share
from group_sessions.selectors import (
    ROUND_KINDS,
    participant_ids,
    present_user_ids,
    require_session_member,
    session_for_member,
)
from nudges.triggers import nudge_reflect_after_session, nudge_session_started
from teams.models import Membership, Team

EXTEND_SECONDS_RANGE = (10, 600)


def _announce(session_id: int, *frames: dict) -> None:
    """Send frames to everyone in the room once the change is committed."""
    transaction.on_commit(
        lambda: [publish(session_group(session_id), {"type": "room.frame", "frame": frame}) for frame in frames]
    )


def sessions_evict(*, user_ids: list[int], team_id: int) -> None:
    """People no longer in the team leave its live session's room at once: its frames carry the
    team's shares. Once the change is committed, the room is told whom to close (the realtime
    door closes their connections, on whichever server process holds them)."""
    live = list(
        GroupSession.objects.filter(team_id=team_id, phase__in=GroupSession.LIVE_PHASES).values_list("pk", flat=True)
    )
    if live and user_ids:
        transaction.on_commit(
            lambda: [publish(session_group(pk), {"type": "room.evict", "user_ids": user_ids}) for pk in live]
        )


def _deadline_for(step: Step | None):
    return timezone.now() + timedelta(seconds=step.seconds) if step and step.seconds else None


def _may_lead_sessions(membership: Membership) -> bool:
    """A lead, or any member of a team that shares facilitation (Team.members_facilitate)."""
    return membership.role == Membership.Role.LEAD or membership.team.members_facilitate


def _check_schedule(*, starts_at: datetime | None, repeat: str) -> None:
    if repeat not in SessionSeries.Repeat.values:
        raise Invalid("Repeat never, weekly or fortnightly.", code="invalid_choice", field="repeat")
    if starts_at is None:
        if repeat != SessionSeries.Repeat.NEVER:
            raise Invalid("A repeating session needs a start time.", code="starts_at_needed", field="starts_at")
        return
    now = timezone.now()
    if starts_at <= now:
        raise Invalid("Schedule a session for a time to come.", code="starts_at_past", field="starts_at")
    if starts_at > now + timedelta(days=settings.SESSION_SCHEDULE_HORIZON_DAYS):
        raise Invalid(
            f"Schedule at most {settings.SESSION_SCHEDULE_HORIZON_DAYS} days ahead.",
            code="starts_at_too_far",
            field="starts_at",
        )


def _as_sent(session: GroupSession) -> dict:
    series = session.series
    return {
        "team": session.team_id,
        "exercise": session.exercise.slug,
        "starts_at": series.starts_at if series else None,
        "repeat": series.repeat if series else SessionSeries.Repeat.NEVER,
    }


@transaction.atomic
def session_start(
    *,
    lead: User,
    team_id: int,
    exercise_slug: str,
    client_id: uuid.UUID,
    starts_at: datetime | None = None,
    repeat: str = SessionSeries.Repeat.NEVER,
) -> tuple[GroupSession, bool]:
    """A lead (any member, when the team shares facilitation) starts a live group exercise for
    their team and becomes its facilitator; the members are told at once. With `starts_at` the
    session is scheduled instead, once or repeating: the worker opens it when its time comes
    (scheduled_sessions_open) and the members are told then."""
    membership = Membership.objects.select_related("team").filter(team_id=team_id, user=lead).first()
    if membership is None:
        raise NotFound("No such team among yours.", code="team_not_found")
    person_lock(user=lead)  # an identical retry waits here and then finds the first session
    existing = earlier_attempt(
        GroupSession.objects.filter(started_by=lead).select_related("series", "exercise"),
        client_id=client_id,
        sent={"team": team_id, "exercise": exercise_slug, "starts_at": starts_at, "repeat": repeat},
        stored=_as_sent,
    )
    if existing is not None:
        return session_for_member(user=lead, session_id=existing.pk), False
    if not _may_lead_sessions(membership):
        raise NotAllowed("Only the team's lead can start a group exercise.", code="not_team_lead")
    exercise = Exercise.objects.filter(slug=exercise_slug, is_active=True).first()
    if exercise is None:
        raise NotFound("No such exercise.", code="exercise_not_found", field="exercise")
    if exercise.mode != Exercise.Mode.GROUP:
        raise Invalid("Only group exercises run as a live session.", code="not_a_group_exercise", field="exercise")
    _check_schedule(starts_at=starts_at, repeat=repeat)
    if starts_at is not None:
        series = SessionSeries.objects.create(
            team_id=team_id, exercise=exercise, scheduled_by=lead, starts_at=starts_at, repeat=repeat
        )
        session = GroupSession.objects.create(
            team_id=team_id,
            exercise=exercise,
            started_by=lead,
            facilitator=lead,
            client_id=client_id,
            series=series,
            starts_at=starts_at,
            phase=GroupSession.Phase.SCHEDULED,
        )
        return session_for_member(user=lead, session_id=session.pk), True
    if GroupSession.objects.filter(team_id=team_id, phase__in=GroupSession.LIVE_PHASES).exists():
        raise Conflict("The team already has a live session.", code="session_already_live")
    try:
        with transaction.atomic():
            session = GroupSession.objects.create(
                team_id=team_id, exercise=exercise, started_by=lead, facilitator=lead, client_id=client_id
            )
    except IntegrityError:  # another start won the race for this team
        raise Conflict("The team already has a live session.", code="session_already_live") from None
    _tell_members(session=session, team=membership.team, opened_by=lead, told=_member_ids(team_id, but=lead))
    return session_for_member(user=lead, session_id=session.pk), True


def _member_ids(team_id: int, *, but: User | None = None) -> list[int]:
    members = Membership.objects.filter(team_id=team_id)
    if but is not None:
        members = members.exclude(user=but)
    return list(members.values_list("user_id", flat=True))


def _tell_members(*, session: GroupSession, team: Team, opened_by: User | None, told: list[int]) -> None:
    """The one `session.started` event and `session_started` nudge, for a session started now
    and for a scheduled one the worker opens."""
    nudge_session_started(
        session_id=session.pk,
        user_ids=told,
        started_by=public_person(opened_by)["display_name"] if opened_by else team.name,
        exercise=session.exercise.slug,
        title=session.exercise.title,
        team=team.name,
    )
    events_record(
        user_ids=told,
        type="session.started",
        data={
            "session_id": session.pk,
            "team": {"id": team.pk, "name": team.name},
            "exercise": {"slug": session.exercise.slug, "title": session.exercise.title},
            "started_by": public_person(opened_by) if opened_by else None,
        },
    )


def _facilitator_command(
    *, user: User, session_id: int, version: int, change: Callable[[GroupSession, list[Step]], None]
) -> GroupSession:
    """Apply a facilitator's change to the locked session, bump its version and announce it."""
    require_session_member(user=user, session_id=session_id)
    session = _locked(session_id)
    if session.facilitator_id != user.pk:
        raise NotAllowed("Only the facilitator can do that.", code="not_facilitator")
    if session.phase == GroupSession.Phase.SCHEDULED:
        raise Conflict("The session has not opened yet.", code="session_not_open")
    if session.phase not in GroupSession.LIVE_PHASES:
        raise Conflict("The session has ended.", code="session_ended")
    if version != session.version:
        raise Conflict("The session has moved on since you last saw it.", code="stale_version")
    return _apply(session, change)


def _locked(session_id: int) -> GroupSession:
    return (
        GroupSession.objects.select_for_update(of=("self",))
        .select_related("exercise", "facilitator")
        .get(pk=session_id)
    )


def _apply(session: GroupSession, change: Callable[[GroupSession, list[Step]], None]) -> GroupSession:
    """Make a change to the locked session, bump its version and announce the new state."""
    change(session, list(session.exercise.steps.order_by("position")))
    session.version += 1
    session.save()
    session = GroupSession.objects.select_related("facilitator").get(pk=session.pk)
    _announce(session.pk, state_frame(session=session))
    return session


def _end(session: GroupSession) -> None:
    session.phase = GroupSession.Phase.ENDED
    session.deadline = None
    session.ended_at = timezone.now()
    participants = participant_ids(session_id=session.pk)
    nudge_reflect_after_session(session_id=session.pk, ended_at=session.ended_at, user_ids=participants)
    events_record(
        user_ids=participants,
        type="session.reflection_invite",
        data={
            "session_id": session.pk,
            "team_id": session.team_id,
            "exercise": {"slug": session.exercise.slug, "title": session.exercise.title},
        },
    )


def _step_forward(session: GroupSession, steps: list[Step]) -> None:
    if session.step >= len(steps):
        _end(session)
        return
    session.phase = GroupSession.Phase.STEP
    session.step += 1
    session.deadline = _deadline_for(steps[session.step - 1])


@transaction.atomic
def session_begin(*, user: User, session_id: int, version: int) -> GroupSession:
    """From the lobby to the first step."""

    def change(session, steps):
        if session.phase != GroupSession.Phase.LOBBY:
            raise Conflict("The session has already begun.", code="already_begun")
        _step_forward(session, steps)

    return _facilitator_command(user=user, session_id=session_id, version=version, change=change)


@transaction.atomic
def session_advance(*, user: User, session_id: int, version: int) -> GroupSession:
    """To the next step; past the last step, the session ends. From the lobby, it begins."""
    return _facilitator_command(user=user, session_id=session_id, version=version, change=_step_forward)


@transaction.atomic
def session_extend(*, user: User, session_id: int, version: int, seconds: int) -> GroupSession:
    low, high = EXTEND_SECONDS_RANGE
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not low <= seconds <= high:
        raise Invalid(f"Extend by {low} to {high} seconds.", code="invalid_seconds", field="seconds")

    def change(session, steps):
        if session.phase != GroupSession.Phase.STEP:
            raise Conflict("There is no step running to extend.", code="not_in_a_step")
        session.deadline = max(session.deadline or timezone.now(), timezone.now()) + timedelta(seconds=seconds)

    return _facilitator_command(user=user, session_id=session_id, version=version, change=change)


@transaction.atomic
def session_end(*, user: User, session_id: int, version: int) -> GroupSession:
    return _facilitator_command(user=user, session_id=session_id, version=version, change=lambda s, steps: _end(s))


@transaction.atomic
def facilitated_sessions_end(*, user: User) -> list[int]:
    """End every live session this person facilitates, as their own `end` would (participants
    invited to reflect, the version bumped, the room told), with nobody left facilitating: for
    someone leaving for good (account erasure). Returns the sessions' ids."""
    live = GroupSession.objects.filter(facilitator=user, phase__in=GroupSession.LIVE_PHASES)
    ended = []
    for session_id in live.order_by("pk").values_list("pk", flat=True):
        session = _locked(session_id)
        if session.facilitator_id == user.pk and session.phase in GroupSession.LIVE_PHASES:
            _apply(session, _end_without_facilitator)
            ended.append(session_id)
    return ended


def _end_without_facilitator(session: GroupSession, steps: list[Step]) -> None:
    _end(session)
    session.facilitator = None


@transaction.atomic
def session_hand_over(*, user: User, session_id: int, version: int, to_user_id: int) -> GroupSession:
    """Hand the facilitator role to another member who is present."""
    if to_user_id not in present_user_ids(session_id=session_id) or to_user_id == user.pk:
        raise Invalid("Hand over to someone else who is here.", code="not_present", field="user_id")

    def change(session, steps):
        session.facilitator_id = to_user_id

    return _facilitator_command(user=user, session_id=session_id, version=version, change=change)


@transaction.atomic
def round_reveal(*, user: User, session_id: int, version: int) -> GroupSession:
    """Show everyone the current round's answers (check-in: the average, once enough answered)."""

    def change(session, steps):
        step = steps[session.step - 1] if session.phase == GroupSession.Phase.STEP else None
        if step is None or step.kind not in ROUND_KINDS:
            raise Conflict("There is no round to reveal now.", code="no_round")
        if step.position not in session.revealed_steps:
            session.revealed_steps = [*session.revealed_steps, step.position]

    session = _facilitator_command(user=user, session_id=session_id, version=version, change=change)
    _announce(session.pk, round_frame(session=session, step_position=session.step))
    return session


@transaction.atomic
def round_answer(
    *,
    user: User,
    session_id: int,
    step: int,
    kind: str,
    text: str | None = None,
    value: int | None = None,
    anonymous: bool | None = None,
) -> Share:
    """A member's answer to the current round: text for a share, 1-5 for a check-in.
    Answering again replaces one's answer until the round is revealed.

    `anonymous` changes only when given: None keeps what the answer was (a new one is named),
    so re-sending a share without the flag never unmasks it at reveal.
    """
    require_session_member(user=user, session_id=session_id)
    session = GroupSession.objects.select_for_update(of=("self",)).select_related("exercise").get(pk=session_id)
    if session.phase != GroupSession.Phase.STEP or step != session.step:
        raise Conflict("That step is not the current one.", code="step_passed")
    current = session.exercise.steps.get(position=step)
    if current.kind not in ROUND_KINDS:
        raise Invalid("This step has no round to answer.", code="not_a_round")
    if current.kind != kind:
        raise Invalid(f"This round takes a {current.kind}.", code="wrong_round_kind", field="type")
    if step in session.revealed_steps:
        raise Conflict("This round has been revealed.", code="round_revealed")
    if kind == Step.Kind.SHARE:
        if not isinstance(text, str) or not text.strip():
            raise Invalid("Write your share.", code="blank", field="text")
        if len(text) > SHARE_MAX_LENGTH:
            raise Invalid(f"At most {SHARE_MAX_LENGTH} characters.", code="max_length", field="text")
        answer = {"text": text.strip(), "value": None}
    else:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            raise Invalid("Answer from 1 to 5.", code="out_of_range", field="value")
        answer = {"text": "", "value": value}
    since = timezone.now() - timedelta(days=1)
    if (
        not Share.objects.filter(session=session, step=step, author=user).exists()
        and Share.objects.filter(author=user, created_at__gte=since).count() >= settings.SHARE_DAILY_LIMIT
    ):
        raise LimitReached("That is a lot of answers for one day.", code="daily_limit_reached", retry_after=3600)
    if anonymous is not None:
        answer["anonymous"] = bool(anonymous)
    share, _ = Share.objects.update_or_create(session=session, step=step, author=user, defaults=answer)
    count = Share.objects.filter(session=session, step=step).count()
    _announce(session.pk, round_progress_frame(step=step, count=count))
    return share


# Scheduled sessions


def scheduled_sessions_open(*, now: datetime | None = None) -> list[int]:
    """Open every scheduled session whose time has come, tell its team, and schedule the next
    occurrence of a repeating series. Returns the ids opened.

    Safe with several workers at once: each session leaves the `scheduled` phase by a
    conditional update only one of them wins, and a series' next occurrence is unique by time.
    A session whose team is still in another live session waits for it to end, up to
    SESSION_OPEN_GRACE_MINUTES; past that it is `missed` (nobody wants a 10 o'clock session
    to pop up at 4).
    """
    now = now or timezone.now()
    due = GroupSession.objects.filter(phase=GroupSession.Phase.SCHEDULED, starts_at__lte=now)
    return [
        session_id
        for session_id in due.order_by("starts_at", "pk").values_list("pk", flat=True)[: settings.SESSION_OPEN_BATCH]
        if _scheduled_session_open(session_id=session_id, now=now)
    ]


@transaction.atomic
def _scheduled_session_open(*, session_id: int, now: datetime) -> bool:
    session = GroupSession.objects.select_related("series", "team", "exercise", "started_by").get(pk=session_id)
    missed = session.starts_at < now - timedelta(minutes=settings.SESSION_OPEN_GRACE_MINUTES)
    facilitator = _facilitator_on_opening(session)
    change = (
        {"phase": GroupSession.Phase.MISSED, "ended_at": now}
        if missed
        else {"phase": GroupSession.Phase.LOBBY, "created_at": now, "facilitator": facilitator}
    )
    try:
        with transaction.atomic():
            won = GroupSession.objects.filter(pk=session_id, phase=GroupSession.Phase.SCHEDULED).update(**change)
    except IntegrityError:  # the team is in another live session: try again on the next tick
        return False
    if not won:  # another worker opened (or someone cancelled) it first
        return False
    _schedule_next(series=session.series, after=session.starts_at, now=now)
    if missed:
        return False
    session.refresh_from_db()
    _tell_members(session=session, team=session.team, opened_by=session.started_by, told=_member_ids(session.team_id))
    _announce(session.pk, state_frame(session=session))
    return True


def _facilitator_on_opening(session: GroupSession) -> User | None:
    """Whoever scheduled it, if they may still lead the team's sessions; else its first lead."""
    memberships = Membership.objects.filter(team_id=session.team_id).select_related("team", "user")
    scheduler = memberships.filter(user_id=session.started_by_id).first() if session.started_by_id else None
    if scheduler is not None and _may_lead_sessions(scheduler):
        return scheduler.user
    lead = memberships.filter(role=Membership.Role.LEAD).order_by("pk").first()
    return lead.user if lead else None


def _schedule_next(*, series: SessionSeries | None, after: datetime, now: datetime) -> None:
    """The series' next occurrence after `after` that is still to come, once."""
    weeks = SessionSeries.WEEKS_BETWEEN.get(series.repeat) if series else None
    if not weeks or series.cancelled_at:
        return
    starts_at = after + timedelta(weeks=weeks)
    while starts_at <= now:  # the worker was down for a while: skip what cannot happen now
        starts_at += timedelta(weeks=weeks)
    try:
        with transaction.atomic():
            GroupSession.objects.get_or_create(
                series=series,
                starts_at=starts_at,
                defaults={
                    "team_id": series.team_id,
                    "exercise_id": series.exercise_id,
                    "started_by": series.scheduled_by,
                    "facilitator": series.scheduled_by,
                    "phase": GroupSession.Phase.SCHEDULED,
                },
            )
    except IntegrityError:  # made at the same moment elsewhere
        pass


@transaction.atomic
def session_cancel(*, user: User, session_id: int, whole_series: bool = False) -> GroupSession:
    """Cancel a session still to come, or with `whole_series` its series from now on (the past
    occurrences stay in history and calendars). Its scheduler or a team lead may."""
    session = session_for_member(user=user, session_id=session_id)
    membership = Membership.objects.get(team_id=session.team_id, user=user)
    if session.started_by_id != user.pk and membership.role != Membership.Role.LEAD:
        raise NotAllowed("Only the team's lead or whoever scheduled it can cancel it.", code="not_scheduler")
    now = timezone.now()
    if not GroupSession.objects.filter(pk=session_id, phase=GroupSession.Phase.SCHEDULED).update(
        phase=GroupSession.Phase.CANCELLED, ended_at=now
    ):
        raise Conflict("Only a session still to come can be cancelled.", code="not_scheduled")
    series = session.series
    if whole_series and series is not None:
        SessionSeries.objects.filter(pk=series.pk, cancelled_at=None).update(cancelled_at=now)
        series.occurrences.filter(phase=GroupSession.Phase.SCHEDULED).update(
            phase=GroupSession.Phase.CANCELLED, ended_at=now
        )
    else:
        _schedule_next(series=series, after=session.starts_at, now=now)
    return session_for_member(user=user, session_id=session_id)


# Presence


@transaction.atomic
def session_connect(*, user: User, session_id: int, channel_name: str) -> GroupSession:
    """A member's connection joins the room; returns what they see on joining."""
    session = session_for_member(user=user, session_id=session_id)
    Connection.objects.create(session=session, user=user, channel_name=channel_name)
    return session


def session_disconnect(*, channel_name: str) -> int | None:
    """The connection closed; its person stays present for the grace period. Returns the session id."""
    connection = Connection.objects.filter(channel_name=channel_name).first()
    if connection is None:
        return None
    Connection.objects.filter(pk=connection.pk).update(closed_at=timezone.now())
    return connection.session_id


def session_heartbeat(*, channel_names: list[str]) -> None:
    """These connections are still open: one write for all of a server process's connections."""
    Connection.objects.filter(channel_name__in=channel_names, closed_at=None).update(last_seen_at=timezone.now())


def presence_sweep(*, session_id: int) -> list[int]:
    """Announce who is present if it changed since the last announcement.

    Any connection may sweep; the one whose update changes the stored list announces, so
    several processes sweeping at once announce a change once.
    """
    present = present_user_ids(session_id=session_id)
    key = ",".join(map(str, present))
    if GroupSession.objects.filter(pk=session_id).exclude(present_key=key).update(present_key=key):
        publish(session_group(session_id), {"type": "room.frame", "frame": presence_frame(user_ids=present)})
    return present


# What a session produces (agreements, commitments, orphans): read by the apps that keep them


@transaction.atomic
def session_moment(*, user: User, session_id: int, version: int) -> GroupSession:
    """A facilitator's command that keeps something the session produced rather than moving
    its steps (an agreement adopted, a share made an orphan): checked and versioned like every
    facilitator command, so a double tap keeps it once. Call inside the caller's transaction."""
    return _facilitator_command(user=user, session_id=session_id, version=version, change=lambda session, steps: None)


def revealed_share(*, session: GroupSession, ref: str) -> Share:
    """A text share of this session whose round has been revealed, by its `ref`. Anything else
    (another session's, a check-in, a round not revealed yet, which is still its author's alone)
    is NotFound, on the field `share`. A round holds a team's answers, so they are few."""
    revealed = Share.objects.filter(session=session, step__in=session.revealed_steps, value=None).select_related(
        "author"
    )
    share = next((share for share in revealed if share.ref == ref and share.text), None)
    if share is None:
        raise NotFound("No such revealed share in this session.", code="share_not_found", field="share")
    return share
