"""Rate limits on the doors that guessing and flooding go through.

Counters live in Django's cache: Redis when REDIS_URL is set (shared by every process),
memory otherwise. A limited request gets 429 with Retry-After in the standard error body.
"""

import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _Throttle(SimpleRateThrottle):
    def get_rate(self):
        # Read when used, not when imported, so the rate follows settings.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class SignInByAddress(_Throttle):
    """Sign-in attempts from one address, whatever the account (password spraying)."""

    scope = "sign_in_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignInByAccount(_Throttle):
    """Sign-in attempts at one account, from wherever (password guessing)."""

    scope = "sign_in_account"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        # Hashed: cache keys stay short and no email sits in the cache in the clear.
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
