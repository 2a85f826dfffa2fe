"""WebSocket routes. A trailing slash is optional, as on the HTTP API; any other path is
closed with 4404."""

from channels.routing import URLRouter
from django.urls import re_path

from realtime.consumers import EventStreamConsumer, NoSuchPath, PairRoomConsumer, SessionRoomConsumer

websocket_urlpatterns = [
    re_path(r"^ws/v1/events/?$", EventStreamConsumer.as_asgi()),
    re_path(r"^ws/v1/sessions/(?P<session_id>[0-9]{1,18})/?$", SessionRoomConsumer.as_asgi()),
    re_path(r"^ws/v1/pairs/(?P<pair_id>[0-9]{1,18})/?$", PairRoomConsumer.as_asgi()),
]

websocket_application = URLRouter([*websocket_urlpatterns, re_path(r"", NoSuchPath.as_asgi())])
