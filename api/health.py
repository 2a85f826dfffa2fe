"""Liveness and readiness for load balancers and orchestrators."""

import asyncio
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

CHECK_TIMEOUT_SECONDS = 2


def healthz(request):
    """The process answers. Touches nothing else, so it stays cheap and never flaps."""
    return JsonResponse({"status": "ok"})


def _database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def _channel_layer_answers() -> None:
    layer = get_channel_layer()
    channel = f"readyz.{uuid.uuid4().hex}"
    await layer.send(channel, {"type": "readyz.ping"})
    await layer.receive(channel)


async def readyz(request):
    """Ready to serve: the database and the channel layer both answer within a short time."""
    checks = {}
    for name, check in (
        ("database", sync_to_async(_database_answers, thread_sensitive=True)),
        ("channel_layer", _channel_layer_answers),
    ):
        try:
            await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_SECONDS)
            checks[name] = "ok"
        except Exception as error:  # any failure means not ready; say which, not why in detail
            checks[name] = f"unavailable: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ready" if ready else "degraded", "checks": checks}, status=200 if ready else 503)
