"""Who is knocking: the client address that sign-in limits (accounts.sign_in) are counted by.

A limited request gets 429 with Retry-After in the standard error body (api.errors).
"""

from rest_framework.throttling import BaseThrottle


def client_address(request) -> str:
    """The client's address as DRF's throttles see it: the socket's, or, behind NUM_PROXIES
    proxies, the entry they vouch for in X-Forwarded-For. Any Django or DRF request will do, so
    the dashboard and the admin count the same address as the API."""
    return BaseThrottle().get_ident(request) or "unknown"
