"""Secrets handed to people (tickets, calendar links, invitation links) are stored as digests, so a
copy of the database opens nothing."""

import hashlib


def secret_digest(secret: str) -> str:
    """What is stored of a random secret, and looked up by: its SHA-256 in hex (a random secret
    needs no salt or slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()
