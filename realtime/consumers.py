"""The WebSocket door: the per-user event stream and the rooms of live group sessions and pairs.

Consumers are thin: they authenticate, parse frames and call the same domain functions the
HTTP door calls. Frames are JSON objects with a "type"; the protocol is in README.md.
"""

import asyncio
import json
import logging
import re
import time
from datetime import date
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import aclose_old_connections, database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from acknowledgements.services import acknowledgement_from_share
from agreements import services as agreements
from commitments.services import commitment_from_share
from common.errors import DomainError, NotAllowed, NotFound
from config.converters import Id
from events.channels import pair_group, session_group, user_group
from events.frames import event_frame
from events.selectors import events_after, last_event_number
from group_sessions import services as sessions
from group_sessions.frames import answer_accepted_frame, share_became_frame, snapshot_frame
from group_sessions.selectors import session_for_member
from orphans.services import orphan_from_share
from pairs import frames as pair_frames
from pairs import services as pairs
from pairs.selectors import pair_for_person
from realtime.presence import keeper
from realtime.relay import ensure_relay

logger = logging.getLogger(__name__)

CLOSE_SERVER_ERROR = 1011
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NO_SUCH_PATH = 4404


class FrameError(Exception):
    def __init__(self, code: str, detail: str, field: str | None = None):
        super().__init__(detail)
        self.code, self.detail, self.field = code, detail, field


class RealtimeConsumer(AsyncWebsocketConsumer):
    """What both endpoints share: close codes, heartbeats, and turning bad frames and refused
    commands into error frames instead of crashes.

    However a connection ends (the client closes, the network drops, or a handler fails), its
    heartbeat stops and it leaves its rooms: no ghost presence, no task beating on its own.
    """

    commands: dict[str, str] = {}
    heartbeat: asyncio.Task | None = None
    joined = False

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            logger.exception("WebSocket connection failed; closing it")
            await self.close(code=CLOSE_SERVER_ERROR)
        finally:
            await self._end()
            await aclose_old_connections()

    async def dispatch(self, message):
        """Channels' own dispatch, less the closing of old database connections it does before
        every message: that runs on the one thread all of a process's consumers share for the
        database, so a frame to a room of two hundred would queue two hundred calls there, ahead
        of the next command. Every handler here reaches the database through
        database_sync_to_async, which closes old connections itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        # Subscribing happens before the accept, so once a client sees itself connected it
        # misses nothing that happens after.
        self.user = self.scope.get("user")
        if self.user is None:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        self.joined = True  # a join that fails halfway is left like a whole one
        try:
            await self.join()
        except (NotFound, NotAllowed):
            self.joined = False  # refused before subscribing to anything
            await self._refuse(CLOSE_FORBIDDEN)
            return
        await self.accept()
        await self.opened()
        self.heartbeat = asyncio.create_task(self._beat())

    async def _refuse(self, code: int) -> None:
        # Accepted first so the client sees the close code (a refusal before accepting is a bare 403).
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code):
        await self._end()

    async def _end(self) -> None:
        """Stop the heartbeat and leave; safe to call more than once."""
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            await asyncio.wait([self.heartbeat])  # gone, not just asked to go
        if self.joined:
            self.joined = False
            await self.leave()

    async def join(self) -> None:
        """Check access and subscribe; raise NotFound or NotAllowed to refuse. Sends nothing."""
        raise NotImplementedError

    async def opened(self) -> None:
        """The first frames after the accept."""
        raise NotImplementedError

    async def leave(self) -> None:
        raise NotImplementedError

    async def _beat(self):
        while True:
            await asyncio.sleep(settings.REALTIME_HEARTBEAT_SECONDS)
            await self.send_frame({"type": "heartbeat", "at": timezone.now().isoformat()})

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame))

    def _within_rate(self) -> bool:
        """A token bucket per connection: a burst of frames, refilled at a steady rate."""
        now = time.monotonic()
        allowance = getattr(self, "allowance", settings.REALTIME_FRAME_BURST)
        elapsed = now - getattr(self, "checked_at", now)
        self.allowance = min(settings.REALTIME_FRAME_BURST, allowance + elapsed * settings.REALTIME_FRAMES_PER_SECOND)
        self.checked_at = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True

    async def receive(self, text_data=None, bytes_data=None):
        if not self._within_rate():
            await self._error("rate_limited", "Too many frames; slow down.", None)
            return
        try:
            frame = self._parse(text_data, bytes_data)
            handler = getattr(self, self.commands[frame["type"]])
            await handler(frame)
        except FrameError as error:
            await self._error(error.code, error.detail, error.field)
        except DomainError as error:
            await self._error(error.code, error.message, error.field)

    def _parse(self, text_data, bytes_data) -> dict:
        raw = text_data if text_data is not None else bytes_data or b""
        size = len(raw.encode()) if isinstance(raw, str) else len(raw)
        if size > settings.REALTIME_MAX_FRAME_BYTES:
            raise FrameError("frame_too_large", f"Frames are at most {settings.REALTIME_MAX_FRAME_BYTES} bytes.")
        try:
            frame = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):  # a few KB of "[[[[…" recurses
            raise FrameError("invalid_json", "Frames are JSON objects.") from None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise FrameError("invalid_frame", 'Frames are JSON objects with a "type".')
        if frame["type"] not in self.commands:
            raise FrameError("unknown_type", f"Unknown frame type {frame['type'][:40]!r}.", "type")
        return frame

    async def _error(self, code: str, detail: str, field: str | None) -> None:
        await self.send_frame({"type": "error", "code": code, "detail": detail, "field": field})

    async def ping(self, frame):
        await self.send_frame({"type": "pong"})


def field(frame: dict, name: str, kind: type, *, required: bool = True):
    """A frame's field of the given type, or an error frame saying which field is wrong."""
    if name not in frame:
        if required:
            raise FrameError("missing_field", f'"{name}" is required.', name)
        return None
    value = frame[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise FrameError("invalid_field", f'"{name}" must be a {kind.__name__}.', name)
    return value


class EventStreamConsumer(RealtimeConsumer):
    """/ws/v1/events/: every event that concerns the signed-in person, with replay.

    `?last_event_id=N` first replays the stored events after N, then goes live, with no gap and
    no duplicate across the switch: the connection joins the live group before reading the
    log, drops live events it already sent, and fills any gap it sees from the log.
    """

    commands = {"ping": "ping"}

    async def join(self):
        ensure_relay()
        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("last_event_id")
        self.resync = False
        # Only an event number could be one: ASCII digits that fit (no "²", no 30 digits).
        if values is not None and re.fullmatch(Id.regex, values[0]):
            self.cursor = int(values[0])
        else:
            # Read before subscribing: anything committed from here on is replayed or pushed.
            self.cursor = await database_sync_to_async(last_event_number)(user_id=self.user.pk)
            self.resync = values is not None
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)

    async def opened(self):
        if self.resync:
            await self.send_frame({"type": "resync_required"})
        await self._catch_up()

    async def leave(self):
        await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)

    async def _catch_up(self):
        replay = await database_sync_to_async(events_after)(user_id=self.user.pk, after=self.cursor)
        if replay.resync_required:
            await self.send_frame({"type": "resync_required"})
        for event in replay.events:
            await self.send_frame(event_frame(event))
        self.cursor = replay.last_number

    async def stream_event(self, message):
        event = message["event"]
        if event["id"] <= self.cursor:
            return
        if event["id"] == self.cursor + 1:
            await self.send_frame(event)
            self.cursor = event["id"]
            return
        # Something in between was pushed out of order or lost: the log has it all.
        await self._catch_up()


class RoomConsumer(RealtimeConsumer):
    """What every room shares: joining records the connection in the database and subscribes;
    the first frame is the snapshot read from the database (so a reconnect sees the same
    state); the process's presence keeper (realtime.presence) marks it seen on every heartbeat
    interval and announces changes to presence; leaving marks the connection closed and, after
    the grace period, announces whoever did not come back.

    A room fills in its hooks, which run in a thread with database access."""

    url_kwarg = ""

    def group_for(self, room_id: int) -> str:
        raise NotImplementedError

    def enter(self) -> None:
        """Check access and record the connection; raise NotFound to refuse."""
        raise NotImplementedError

    def exit(self) -> None:
        raise NotImplementedError

    @staticmethod
    def mark_seen(channel_names: list[str]) -> None:
        """These connections (of this process, in rooms of this kind) are still open."""
        raise NotImplementedError

    def snapshot(self) -> dict:
        raise NotImplementedError

    @staticmethod
    def sweep(room_id: int) -> None:
        raise NotImplementedError

    async def join(self):
        self.room_id = int(self.scope["url_route"]["kwargs"][self.url_kwarg])
        await database_sync_to_async(self.enter)()
        await self.channel_layer.group_add(self.group_for(self.room_id), self.channel_name)
        keeper().keep(type(self), self.channel_name, self.room_id)

    async def opened(self):
        await self.send_frame(await database_sync_to_async(self.snapshot)())
        await database_sync_to_async(self.sweep)(self.room_id)

    async def leave(self):
        keeper().drop(type(self), self.channel_name)
        await self.channel_layer.group_discard(self.group_for(self.room_id), self.channel_name)
        await database_sync_to_async(self.exit)()
        asyncio.get_running_loop().create_task(self._announce_departure(self.sweep, self.room_id))

    @staticmethod
    async def _announce_departure(sweep, room_id: int):
        # After the grace period, whoever has not come back is announced as away.
        await asyncio.sleep(settings.PRESENCE_GRACE_SECONDS + 1)
        await database_sync_to_async(sweep)(room_id)

    async def room_frame(self, message):
        await self.send_frame(message["frame"])

    async def room_evict(self, message):
        """Someone here left the team (or was taken out): their connection closes, as a stranger's
        would be refused."""
        if self.user.pk in message["user_ids"]:
            await self.close(code=CLOSE_FORBIDDEN)


class SessionRoomConsumer(RoomConsumer):
    """/ws/v1/sessions/{id}/: the room of one live group session, for the team's members."""

    url_kwarg = "session_id"
    commands = {
        "ping": "ping",
        "start": "command_start",
        "next": "command_next",
        "extend": "command_extend",
        "end": "command_end",
        "hand_over": "command_hand_over",
        "reveal": "command_reveal",
        "share": "command_share",
        "checkin": "command_checkin",
        "adopt_agreement": "command_adopt_agreement",
        "commit": "command_commit",
        "make_orphan": "command_make_orphan",
        "shout_out": "command_shout_out",
    }

    def group_for(self, room_id):
        return session_group(room_id)

    def enter(self):
        sessions.session_connect(user=self.user, session_id=self.room_id, channel_name=self.channel_name)

    def exit(self):
        sessions.session_disconnect(channel_name=self.channel_name)

    @staticmethod
    def mark_seen(channel_names):
        sessions.session_heartbeat(channel_names=channel_names)

    def snapshot(self):
        return snapshot_frame(session=session_for_member(user=self.user, session_id=self.room_id), viewer=self.user)

    @staticmethod
    def sweep(room_id):
        sessions.presence_sweep(session_id=room_id)

    async def _facilitate(self, command, frame, **arguments):
        await database_sync_to_async(command)(
            user=self.user, session_id=self.room_id, version=field(frame, "version", int), **arguments
        )

    async def command_start(self, frame):
        await self._facilitate(sessions.session_begin, frame)

    async def command_next(self, frame):
        await self._facilitate(sessions.session_advance, frame)

    async def command_extend(self, frame):
        await self._facilitate(sessions.session_extend, frame, seconds=field(frame, "seconds", int))

    async def command_end(self, frame):
        await self._facilitate(sessions.session_end, frame)

    async def command_hand_over(self, frame):
        await self._facilitate(sessions.session_hand_over, frame, to_user_id=field(frame, "user_id", int))

    async def command_reveal(self, frame):
        await self._facilitate(sessions.round_reveal, frame)

    async def command_share(self, frame):
        await self._answer(
            frame,
            kind="share",
            text=field(frame, "text", str),
            anonymous=field(frame, "anonymous", bool, required=False),
        )

    async def command_checkin(self, frame):
        await self._answer(frame, kind="checkin", value=field(frame, "value", int))

    async def command_adopt_agreement(self, frame):
        await self._facilitate(
            agreements.agreement_adopt_in_session,
            frame,
            agreement_id=field(frame, "agreement", int, required=False),
            kind=field(frame, "kind", str, required=False),
            share_ref=field(frame, "share", str, required=False),
            text=field(frame, "text", str, required=False),
        )

    async def command_commit(self, frame):
        check_back = field(frame, "check_back", str, required=False)
        try:
            check_back_on = date.fromisoformat(check_back) if check_back is not None else None
        except ValueError:
            raise FrameError("invalid_field", '"check_back" must be a date, 2026-12-18.', "check_back") from None
        await self._on_share(commitment_from_share, "commitment", frame, check_back_on=check_back_on)

    async def command_make_orphan(self, frame):
        await self._on_share(orphan_from_share, "orphan", frame)

    async def command_shout_out(self, frame):
        await self._on_share(
            acknowledgement_from_share,
            "acknowledgement",
            frame,
            recipient_id=field(frame, "recipient", int),
            behaviour=field(frame, "behaviour", str),
        )

    async def _on_share(self, command, kind: str, frame, **arguments):
        """What a revealed share becomes, told to the sender alone (`share.became`)."""
        share_ref = field(frame, "share", str)
        made = await database_sync_to_async(command)(
            user=self.user, session_id=self.room_id, share_ref=share_ref, **arguments
        )
        await self.send_frame(share_became_frame(share_ref=share_ref, kind=kind, made_id=made.pk))

    async def _answer(self, frame, **answer):
        share = await database_sync_to_async(sessions.round_answer)(
            user=self.user, session_id=self.room_id, step=field(frame, "step", int), **answer
        )
        await self.send_frame(answer_accepted_frame(share=share))


class PairRoomConsumer(RoomConsumer):
    """/ws/v1/pairs/{id}/: the room of one pair, for its two people only. Either moves the steps
    on; answers are the same as over HTTP (pairs.services)."""

    url_kwarg = "pair_id"
    commands = {"ping": "ping", "next": "command_next", "answer": "command_answer", "reveal": "command_reveal"}

    def group_for(self, room_id):
        return pair_group(room_id)

    def enter(self):
        pairs.pair_connect(user=self.user, pair_id=self.room_id, channel_name=self.channel_name)

    def exit(self):
        pairs.pair_disconnect(channel_name=self.channel_name)

    @staticmethod
    def mark_seen(channel_names):
        pairs.pair_heartbeat(channel_names=channel_names)

    def snapshot(self):
        return pair_frames.snapshot_frame(pair=pair_for_person(user=self.user, pair_id=self.room_id), viewer=self.user)

    @staticmethod
    def sweep(room_id):
        pairs.pair_presence_sweep(pair_id=room_id)

    async def command_next(self, frame):
        await database_sync_to_async(pairs.pair_advance)(
            user=self.user, pair_id=self.room_id, version=field(frame, "version", int)
        )

    async def command_answer(self, frame):
        answer = await database_sync_to_async(pairs.pair_answer)(
            user=self.user, pair_id=self.room_id, step=field(frame, "step", int), text=field(frame, "text", str)
        )
        await self.send_frame(pair_frames.answer_accepted_frame(answer=answer))

    async def command_reveal(self, frame):
        await database_sync_to_async(pairs.pair_reveal)(
            user=self.user, pair_id=self.room_id, step=field(frame, "step", int)
        )


class NoSuchPath(AsyncWebsocketConsumer):
    """Any other path: accepted, then closed with 4404, so the client sees why (a refusal before
    accepting would be a bare HTTP 403)."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NO_SUCH_PATH)
