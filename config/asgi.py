"""One ASGI application for HTTP and WebSocket, served by Daphne."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before anything imports models (the realtime door does).
http_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.auth import TokenAuthMiddleware  # noqa: E402
from realtime.origins import allowed_hosts_origin_validator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": allowed_hosts_origin_validator(TokenAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
