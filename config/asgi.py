"""One ASGI application for HTTP and WebSocket, served by Daphne."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before anything imports models (the realtime door does).
http_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from config.body_limit import BodyLimit  # noqa: E402
from realtime.auth import TokenAuthMiddleware  # noqa: E402
from realtime.origins import allowed_hosts_origin_validator  # noqa: E402
from realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimit(http_application),
        "websocket": allowed_hosts_origin_validator(TokenAuthMiddleware(websocket_application)),
    }
)
