"""Refresh tokens are kept as hashes, so a copy of the database signs nobody in.

simplejwt's blacklist app records every refresh token it issues in `OutstandingToken.token`,
whole. Nothing reads that column back: revocation, rotation and the blacklist all go by `jti`.
So it holds a SHA-256 of the token instead, which still tells an operator which token a row is
about, and is useless for signing in.

The hash is set by a pre_save hook on simplejwt's model rather than by our own token class:
simplejwt writes the row from three places (`for_user`, `outstand` on rotation, `blacklist`),
and so can any code that calls `RefreshToken.for_user`; a hook on the one model they all write
covers them all, including the ones added later, with nothing for callers to remember.
"""

import hashlib

from django.db.models.signals import pre_save
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

PREFIX = "sha256$"


def stored_form(token: str) -> str:
    """What is kept of a refresh token: its SHA-256 (a JWT has too much entropy for a salt to matter)."""
    if token.startswith(PREFIX):
        return token
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


def _hash_before_saving(sender, instance: OutstandingToken, **kwargs) -> None:
    instance.token = stored_form(instance.token)


def connect() -> None:
    pre_save.connect(_hash_before_saving, sender=OutstandingToken, dispatch_uid="refresh_tokens.hash")
