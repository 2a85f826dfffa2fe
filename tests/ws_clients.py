"""Helpers for WebSocket tests: connect as someone and read frames."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from config.asgi import application

# A frame arrives within this long, or it is not coming.
WAIT = 3


def bearer(user) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {AccessToken.for_user(user)}".encode())]


async def connect(path: str, user=None, *, headers=None) -> WebsocketCommunicator:
    token_headers = await sync_to_async(bearer)(user) if user is not None else []
    communicator = WebsocketCommunicator(application, path, headers=(headers or []) + token_headers)
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    return communicator


async def closed_with(communicator: WebsocketCommunicator) -> int:
    output = await communicator.receive_output(timeout=WAIT)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def closed_after_frames(communicator: WebsocketCommunicator) -> int:
    """The close code, passing over the frames sent before it (presence, progress…)."""
    while True:
        output = await communicator.receive_output(timeout=WAIT)
        if output["type"] == "websocket.close":
            return output["code"]


async def frame(communicator: WebsocketCommunicator, *, skip: tuple[str, ...] = ("heartbeat",)) -> dict:
    while True:
        received = json.loads(await communicator.receive_from(timeout=WAIT))
        if received["type"] not in skip:
            return received


async def frame_of(communicator: WebsocketCommunicator, kind: str) -> dict:
    """The next frame of this type, passing over others (presence, progress…)."""
    while True:
        received = await frame(communicator)
        if received["type"] == kind:
            return received


async def send(communicator: WebsocketCommunicator, payload) -> None:
    await communicator.send_to(text_data=payload if isinstance(payload, str) else json.dumps(payload))


@pytest.fixture
async def fresh_channel_layer():
    """Each test starts with an empty channel layer (in memory, or Redis when configured)."""
    layer = get_channel_layer()
    await layer.flush()
    yield layer
    await layer.flush()
