"""Encryption of reflection bodies at rest.

REFLECTION_KEYS is a list of Fernet keys: the first encrypts, every one decrypts, so a new key
can be put first and old rows re-encrypted (rotate_reflection_keys) before the old key goes.
"""

from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


@cache
def _keyring() -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in settings.REFLECTION_KEYS])


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs):
    if setting == "REFLECTION_KEYS":
        _keyring.cache_clear()


def encrypt(plaintext: str) -> str:
    return _keyring().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    return _keyring().decrypt(ciphertext.encode()).decode()


def reencrypt(ciphertext: str) -> str:
    """The same text under the first key (a no-op in meaning, a new token in bytes)."""
    return _keyring().rotate(ciphertext.encode()).decode()
