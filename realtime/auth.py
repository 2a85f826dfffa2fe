"""Who is on the other end of a WebSocket.

Phones send `Authorization: Bearer <access token>` on the upgrade request. Clients that cannot
set headers first get a single-use 30-second ticket over HTTP and pass it as `?ticket=`. No
long-lived token is ever accepted in a URL.
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

from accounts.services import connection_ticket_redeem


def _bearer(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


def _ticket(scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket")
    return values[0] if values else None


@database_sync_to_async
def _authenticate(scope):
    token = _bearer(scope)
    if token:
        authentication = JWTAuthentication()
        try:
            user = authentication.get_user(authentication.get_validated_token(token))
        except (InvalidToken, AuthenticationFailed):
            return None
        return user if user.is_active and not user.is_signed_out_for_erasure else None
    ticket = _ticket(scope)
    return connection_ticket_redeem(ticket=ticket) if ticket else None


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        scope = dict(scope, user=await _authenticate(scope))
        return await super().__call__(scope, receive, send)
