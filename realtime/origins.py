"""Which WebSocket upgrades are let through by Origin.

Browsers always send an Origin, so one from elsewhere is refused (cross-site WebSocket
hijacking). Phone apps usually send none; they authenticate with a token, not a cookie, so a
missing Origin is allowed.
"""

from channels.security.websocket import OriginValidator
from django.conf import settings


class PhoneFriendlyOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin):
        return parsed_origin is None or self.validate_origin(parsed_origin)


def allowed_hosts_origin_validator(application):
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return PhoneFriendlyOriginValidator(application, allowed)
