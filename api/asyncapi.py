"""The WebSocket protocol as an AsyncAPI 3.0 document, served beside the OpenAPI schema.

Built from the code's own catalogues wherever there is one, so it cannot drift from them: the
event types and their data keys (events.types.EVENT_TYPES), the room's frame types and their
keys (group_sessions.frames.ROOM_FRAMES), the commands each endpoint accepts (the consumers'
`commands`), its close codes, and the shapes the HTTP door already documents (a session
snapshot is the OpenAPI `Session`, a revealed round is `Round`, …), whose schemas are taken
from the generated OpenAPI schema and made strict (no undocumented keys). The schema of each
key, and the fields of each command, are written down here once, and building the document
fails if a catalogue gains an entry this module does not describe exactly.
tests/test_asyncapi.py checks real frames against it.
"""

import copy
from functools import cache

from django.http import JsonResponse
from drf_spectacular.generators import SchemaGenerator

from acknowledgements.models import Acknowledgement, Reaction
from agreements.models import TEXT_MAX_LENGTH as AGREEMENT_TEXT_MAX_LENGTH
from agreements.models import Agreement
from events.types import EVENT_TYPES
from group_sessions.frames import ROOM_FRAMES
from nudges.models import Kind as NudgeKind
from pairs.frames import PAIR_ROOM_FRAMES
from pairs.models import ANSWER_MAX_LENGTH as PAIR_ANSWER_MAX_LENGTH
from realtime import consumers

ID = {"type": "integer"}
SHARE = {"type": "string", "description": "a revealed share's `ref`"}
TEXT = {"type": "string"}
PERSON = {"$ref": "#/components/schemas/Person"}
EXERCISE = {
    "type": "object",
    "properties": {"slug": TEXT, "title": TEXT},
    "required": ["slug", "title"],
    "additionalProperties": False,
}


def _enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


def _object(properties: dict, *, optional: tuple = (), description: str | None = None) -> dict:
    schema = {
        "type": "object",
        "properties": properties,
        "required": sorted(name for name in properties if name not in optional),
        "additionalProperties": False,
    }
    return {**schema, "description": description} if description else schema


def _frame(type_: str, properties: dict | None = None, *, optional: tuple = ()) -> dict:
    return _object({"type": {"const": type_}, **(properties or {})}, optional=optional)


# Each event's data, field by field; the keys must be exactly EVENT_TYPES' (checked on build).
EVENT_DATA = {
    "acknowledgement.received": {
        "acknowledgement_id": ID,
        "sender": PERSON,
        "behaviour": _enum(Acknowledgement.Behaviour.values),
        "visibility": _enum(Acknowledgement.Visibility.values),
        "message": TEXT,
    },
    "acknowledgement.reaction": {"acknowledgement_id": ID, "kind": _enum(Reaction.Kind.values), "by": PERSON},
    "session.started": {
        "session_id": ID,
        "team": _object({"id": ID, "name": TEXT}),
        "exercise": EXERCISE,
        "started_by": PERSON,
    },
    "session.reflection_invite": {"session_id": ID, "team_id": ID, "exercise": EXERCISE},
    "nudge": {"nudge_id": ID, "kind": _enum(NudgeKind.values), "title": TEXT, "body": TEXT},
    "orphan.claimed": {"orphan_id": ID, "team_id": ID, "title": TEXT, "claimed_by": PERSON},
    "orphan.done": {"orphan_id": ID, "team_id": ID, "title": TEXT, "done_by": PERSON, "note": TEXT},
    "orphan.reopened": {"orphan_id": ID, "team_id": ID, "title": TEXT},
    "agreement.adopted": {
        "agreement_id": ID,
        "team_id": ID,
        "kind": _enum(Agreement.Kind.values),
        "version": ID,
        "adopted_by": PERSON,
    },
    "commitment.done": {"commitment_id": ID, "team_id": ID, "text": TEXT, "volunteer": PERSON},
    "pair.invited": {
        "pair_id": ID,
        "exercise": EXERCISE,
        "invited_by": PERSON,
        "note": TEXT,
        "expires_at": {"type": "string", "format": "date-time"},
    },
    "pair.accepted": {"pair_id": ID, "exercise": EXERCISE, "partner": PERSON},
    "pair.reflection_invite": {"pair_id": ID, "run_id": {"type": ["integer", "null"]}, "exercise": EXERCISE},
    "pair.completed": {"pair_id": ID, "exercise": EXERCISE, "partner": PERSON},
}

# The facilitator's commands carry the version they last saw (stale_version otherwise).
VERSION = {"version": ID}
# The fields of each client frame; the keys must be exactly the consumers' commands.
COMMANDS = {
    "ping": ({}, "Asks for a pong."),
    "start": (VERSION, "Facilitator: lobby to step 1."),
    "next": (VERSION, "Facilitator: the next step; past the last one the session ends."),
    "extend": (
        {**VERSION, "seconds": {"type": "integer", "minimum": 10, "maximum": 600}},
        "Facilitator: moves the step's deadline.",
    ),
    "end": (VERSION, "Facilitator: ends the session; participants are invited to reflect."),
    "hand_over": ({**VERSION, "user_id": ID}, "Facilitator: another present member facilitates."),
    "reveal": (VERSION, "Facilitator: shows the current round to everyone."),
    "share": (
        {"step": ID, "text": {"type": "string", "maxLength": 1000}, "anonymous": {"type": "boolean"}},
        "Member: answers a share round; again replaces it until revealed. `anonymous` changes only when sent.",
    ),
    "checkin": ({"step": ID, "value": {"type": "integer", "minimum": 1, "maximum": 5}}, "Member: answers a check-in."),
    "adopt_agreement": (
        {
            **VERSION,
            "agreement": ID,
            "kind": _enum(Agreement.Kind.values),
            "share": SHARE,
            "text": {"type": "string", "maxLength": AGREEMENT_TEXT_MAX_LENGTH},
        },
        "Facilitator: adopts a revealed share (`share`, its `ref`) or typed `text` as the next version of the team's "
        "`agreement`, or of its agreement of this `kind` (made if it has none).",
    ),
    "commit": (
        {"share": SHARE, "check_back": {"type": "string", "format": "date"}},
        "Member: makes their own revealed share their commitment, optionally with a date to check back.",
    ),
    "make_orphan": ({"share": SHARE}, "Facilitator: makes a revealed share an orphan of the team."),
    "shout_out": (
        {"share": SHARE, "recipient": ID, "behaviour": _enum(Acknowledgement.Behaviour.values)},
        "Member: confirms their own revealed share as an acknowledgement of the colleague it names, shown to the team.",
    ),
}
OPTIONAL_COMMAND_FIELDS = {
    "share": ("anonymous",),
    "adopt_agreement": ("agreement", "kind", "share", "text"),
    "commit": ("check_back",),
}

# The state part of a session: what a `state` frame carries (a subset of the snapshot).
STATE_FIELDS = ("id", "phase", "step", "deadline", "facilitator", "version")

COMMON_FRAMES = {
    "heartbeat": (
        _frame("heartbeat", {"at": {"type": "string", "format": "date-time"}}),
        "Every REALTIME_HEARTBEAT_SECONDS, so phones and proxies notice dead connections.",
    ),
    "pong": (_frame("pong"), "The answer to a ping."),
    "error": (
        _frame(
            "error",
            {
                "code": {
                    "type": "string",
                    "description": "stable, machine-readable: invalid_json, invalid_frame, unknown_type, "
                    "frame_too_large, missing_field, invalid_field, rate_limited, or the refused command's own",
                },
                "detail": TEXT,
                "field": {"type": ["string", "null"]},
            },
        ),
        "A frame was refused; the connection stays open.",
    ),
}

# Each room frame's schema; the types and keys must be exactly ROOM_FRAMES' (checked on build).
ROOM_FRAME_SCHEMAS = {
    "snapshot": (
        _frame("snapshot", {"session": {"$ref": "#/components/schemas/Session"}}),
        "On connect: the same object as GET /api/v1/sessions/{id}.",
    ),
    "state": (
        _frame(
            "state",
            {
                "session": _object(
                    {name: {"$ref": f"#/components/schemas/Session/properties/{name}"} for name in STATE_FIELDS}
                )
            },
        ),
        "After every facilitator command.",
    ),
    "presence": (
        _frame("presence", {"present": {"type": "array", "items": PERSON}}),
        "Someone arrives, or has been gone longer than the grace period.",
    ),
    "round.progress": (
        _frame("round.progress", {"step": ID, "count": {"type": "integer", "minimum": 0}}),
        "Someone answered (never what, nor who).",
    ),
    "round": (
        _frame("round", {"round": {"$ref": "#/components/schemas/Round"}}),
        "The facilitator revealed the round.",
    ),
    "answer.accepted": (
        _frame("answer.accepted", {"answer": {"$ref": "#/components/schemas/Answer"}}),
        "To the one who answered only.",
    ),
    "share.became": (
        _frame(
            "share.became",
            {"share": SHARE, "kind": _enum(["commitment", "orphan", "acknowledgement"]), "id": ID},
        ),
        "To the one who sent `commit`, `make_orphan` or `shout_out`: what the share became, and its id.",
    ),
}

# A pair's room (realtime.consumers.PairRoomConsumer): its own frames and commands, documented
# under message ids prefixed `pair_` (its frame types reuse the session room's words).
PAIR_STATE_FIELDS = ("id", "status", "step", "version", "reveal_after_seconds", "completed_at")
PAIR_STEP = {"step": {"type": "integer", "minimum": 1}}
PAIR_ROOM_FRAME_SCHEMAS = {
    "snapshot": (
        _frame("snapshot", {"pair": {"$ref": "#/components/schemas/Pair"}}),
        "On connect: the same object as GET /api/v1/pairs/{id}.",
    ),
    "state": (
        _frame(
            "state",
            {
                "pair": _object(
                    {name: {"$ref": f"#/components/schemas/Pair/properties/{name}"} for name in PAIR_STATE_FIELDS}
                )
            },
        ),
        "After every change: accepted, a step moved on, a step revealed alone, completed.",
    ),
    "presence": ROOM_FRAME_SCHEMAS["presence"],
    "answered": (
        _frame("answered", {**PAIR_STEP, "by": PERSON}),
        "One of the two answered a step (never what).",
    ),
    "round": (
        _frame("round", {"round": {"$ref": "#/components/schemas/PairRound"}}),
        "A step's answers, once both answered or one revealed it after the agreed time.",
    ),
    "answer.accepted": (
        _frame("answer.accepted", {"answer": {"$ref": "#/components/schemas/MyPairAnswer"}}),
        "To the one who answered only.",
    ),
}
PAIR_COMMANDS = {
    "ping": COMMANDS["ping"],
    "next": (VERSION, "Either of the two: the next step; past the last one the pair completes."),
    "answer": (
        {**PAIR_STEP, "text": {"type": "string", "maxLength": PAIR_ANSWER_MAX_LENGTH}},
        "One's answer to a share step (the same as POST /api/v1/pairs/{id}/answers).",
    ),
    "reveal": (PAIR_STEP, "Shows a step's answers alone, once the time the pair agreed has passed."),
}

STREAM_FRAMES = {
    "resync_required": (
        _frame("resync_required"),
        "`last_event_id` is older than the retention window, or makes no sense: reload over HTTP.",
    ),
}

# What each of the consumers' CLOSE_* codes means; every one must be described (checked on build).
CLOSE_CODES = {
    "CLOSE_UNAUTHENTICATED": "no valid credential (closed right after the accept)",
    "CLOSE_FORBIDDEN": "signed in, but not allowed here (not in the session's team, not one of the pair), or no longer: one who leaves the team, is taken out of it or whose team is archived",
    "CLOSE_NO_SUCH_PATH": "no such WebSocket path",
    "CLOSE_SERVER_ERROR": "the server failed on this connection; reconnect (a room sends its snapshot again)",
}


def _message_id(type_: str) -> str:
    return type_.replace(".", "_")


def _event_message(type_: str) -> dict:
    properties = EVENT_DATA[type_]
    return {
        "name": type_,
        "title": f"event {type_}",
        "payload": _frame(
            type_,
            {
                "id": {"type": "integer", "minimum": 1, "description": "the person's own event number, without gaps"},
                "at": {"type": "string", "format": "date-time"},
                "data": _object(properties),
            },
        ),
    }


def _server_message(type_: str, frame: tuple[dict, str]) -> dict:
    payload, summary = frame
    return {"name": type_, "title": type_, "summary": summary, "payload": payload}


def _client_message(command: str, commands: dict = COMMANDS) -> dict:
    fields, summary = commands[command]
    return {
        "name": command,
        "title": command,
        "summary": summary,
        "payload": _frame(command, fields, optional=OPTIONAL_COMMAND_FIELDS.get(command, ())),
    }


def _check_catalogues() -> None:
    if EVENT_DATA.keys() != EVENT_TYPES.keys() or any(set(EVENT_DATA[t]) != EVENT_TYPES[t] for t in EVENT_TYPES):
        raise ValueError("api.asyncapi.EVENT_DATA does not describe events.types.EVENT_TYPES exactly")
    if ROOM_FRAME_SCHEMAS.keys() != ROOM_FRAMES.keys() or any(
        set(ROOM_FRAME_SCHEMAS[t][0]["properties"]) - {"type"} != ROOM_FRAMES[t] for t in ROOM_FRAMES
    ):
        raise ValueError("api.asyncapi.ROOM_FRAME_SCHEMAS does not describe group_sessions.frames.ROOM_FRAMES exactly")
    if PAIR_ROOM_FRAME_SCHEMAS.keys() != PAIR_ROOM_FRAMES.keys() or any(
        set(PAIR_ROOM_FRAME_SCHEMAS[t][0]["properties"]) - {"type"} != PAIR_ROOM_FRAMES[t] for t in PAIR_ROOM_FRAMES
    ):
        raise ValueError("api.asyncapi.PAIR_ROOM_FRAME_SCHEMAS does not describe pairs.frames.PAIR_ROOM_FRAMES exactly")
    if PAIR_COMMANDS.keys() != consumers.PairRoomConsumer.commands.keys():
        raise ValueError("api.asyncapi.PAIR_COMMANDS does not describe the pair room's commands exactly")
    accepted = set(consumers.SessionRoomConsumer.commands) | set(consumers.EventStreamConsumer.commands)
    if accepted != COMMANDS.keys():
        raise ValueError("api.asyncapi.COMMANDS does not describe the consumers' commands exactly")
    if {name for name in vars(consumers) if name.startswith("CLOSE_")} != CLOSE_CODES.keys():
        raise ValueError("api.asyncapi.CLOSE_CODES does not describe the consumers' close codes exactly")


def as_json_schema(schema):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` spelt as a null type, and objects
    closed to keys they do not document (the contract tests check HTTP answers with it too)."""
    if isinstance(schema, list):
        return [as_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: as_json_schema(value) for key, value in schema.items()}
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
    if schema.pop("nullable", False):
        if isinstance(schema.get("type"), str) and "enum" not in schema:
            schema["type"] = [schema["type"], "null"]
        else:
            described = {key: schema.pop(key) for key in ("description", "readOnly") if key in schema}
            schema = {"anyOf": [schema, {"type": "null"}], **described}
    return schema


def _referenced(schemas: dict, roots: list[str]) -> dict:
    """The named component schemas and every one they refer to."""
    found, pending = {}, list(roots)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found[name] = schemas[name]
        pending.extend(_refs(schemas[name]))
    return dict(sorted(found.items()))


def _refs(schema) -> list[str]:
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        own = [ref.split("/")[3]] if ref.startswith("#/components/schemas/") else []
        return own + [name for value in schema.values() for name in _refs(value)]
    if isinstance(schema, list):
        return [name for item in schema for name in _refs(item)]
    return []


def _channel(address: str, description: str, messages: dict, **extra) -> dict:
    return {"address": address, "description": description, "messages": messages, **extra}


def _operation(channel: str, action: str, summary: str, message_ids) -> dict:
    return {
        "action": action,
        "summary": summary,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{message_id}"} for message_id in message_ids],
    }


@cache
def asyncapi_document() -> dict:
    """The document, without its `servers` (those depend on the request)."""
    _check_catalogues()
    openapi = SchemaGenerator().get_schema(request=None, public=True)
    schemas = as_json_schema(
        _referenced(
            openapi["components"]["schemas"],
            ["Session", "Round", "Answer", "Person", "Pair", "PairRound", "MyPairAnswer"],
        )
    )

    messages = {_message_id(t): _event_message(t) for t in EVENT_TYPES}
    for frames in (COMMON_FRAMES, ROOM_FRAME_SCHEMAS, STREAM_FRAMES):
        messages.update({_message_id(t): _server_message(t, frame) for t, frame in frames.items()})
    messages.update({f"command_{_message_id(c)}": _client_message(c) for c in COMMANDS})
    messages.update(
        {f"pair_{_message_id(t)}": _server_message(t, frame) for t, frame in PAIR_ROOM_FRAME_SCHEMAS.items()}
    )
    messages.update({f"pair_command_{c}": _client_message(c, PAIR_COMMANDS) for c in PAIR_COMMANDS})

    def ref(message_id: str) -> dict:
        return {"$ref": f"#/components/messages/{message_id}"}

    stream_in = [_message_id(t) for t in [*EVENT_TYPES, *STREAM_FRAMES, *COMMON_FRAMES]]
    stream_out = [f"command_{c}" for c in consumers.EventStreamConsumer.commands]
    room_in = [_message_id(t) for t in [*ROOM_FRAMES, *COMMON_FRAMES]]
    room_out = [f"command_{_message_id(c)}" for c in consumers.SessionRoomConsumer.commands]
    pair_in = [f"pair_{_message_id(t)}" for t in PAIR_ROOM_FRAMES] + [_message_id(t) for t in COMMON_FRAMES]
    pair_out = [f"pair_command_{c}" for c in consumers.PairRoomConsumer.commands]
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Humble realtime",
            "version": "1",
            "description": "The WebSocket protocol: every frame is a JSON object with a `type`. Authenticate "
            "the upgrade with `Authorization: Bearer <access>`, or `?ticket=` from POST /api/v1/realtime/ticket. "
            "The HTTP API is described by /api/schema/.",
        },
        "defaultContentType": "application/json",
        # AsyncAPI has no field for WebSocket close codes: an extension, code -> meaning.
        "x-close-codes": {str(getattr(consumers, name)): meaning for name, meaning in CLOSE_CODES.items()},
        "channels": {
            "events": _channel(
                "/ws/v1/events/",
                "Everything that concerns the signed-in person, in order. `?last_event_id=N` replays the "
                "stored events after N first, then goes live, with no gap and no duplicate.",
                {message_id: ref(message_id) for message_id in stream_in + stream_out},
            ),
            "session": _channel(
                "/ws/v1/sessions/{session_id}/",
                "The room of one live group session, for the members of its team.",
                {message_id: ref(message_id) for message_id in room_in + room_out},
                parameters={"session_id": {"description": "the session's id (digits)"}},
            ),
            "pair": _channel(
                "/ws/v1/pairs/{pair_id}/",
                "The room of one pair, for its two people only: either moves the steps on; answers show "
                "once both answered.",
                {message_id: ref(message_id) for message_id in pair_in + pair_out},
                parameters={"pair_id": {"description": "the pair's id (digits)"}},
            ),
        },
        "operations": {
            "receiveEvents": _operation("events", "receive", "What the event stream sends.", stream_in),
            "sendToEventStream": _operation("events", "send", "What a client may send the event stream.", stream_out),
            "receiveRoomFrames": _operation("session", "receive", "What a session room sends.", room_in),
            "sendRoomCommands": _operation("session", "send", "What a member may send a session room.", room_out),
            "receivePairFrames": _operation("pair", "receive", "What a pair's room sends.", pair_in),
            "sendPairCommands": _operation("pair", "send", "What either of the two may send their room.", pair_out),
        },
        "components": {"messages": messages, "schemas": schemas},
    }


def asyncapi(request):
    """GET /api/asyncapi.json: the WebSocket protocol, for people and code generators alike."""
    scheme = "wss" if request.is_secure() else "ws"
    document = copy.deepcopy(asyncapi_document())
    document["servers"] = {"humble": {"host": request.get_host(), "protocol": scheme}}
    return JsonResponse(document, json_dumps_params={"indent": 2})
