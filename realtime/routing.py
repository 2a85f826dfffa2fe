"""WebSocket routes. The per-user event stream and live session rooms arrive with the
realtime issue; until then no WebSocket path is served and every connection is refused."""

websocket_urlpatterns: list = []
