"""What the server can check of what a phone encrypted for the journal: encodings and sizes.
It never holds a key that opens any of it (README, "The end-to-end encrypted journal").

Every value is standard base64 of libsodium's output:
- a device's public key: X25519, 32 bytes;
- the journal key sealed for a device: crypto_box_seal of the 32-byte key;
- the journal key wrapped for the recovery secret: a 24-byte nonce then crypto_secretbox of the
  key under the secret Argon2id derives from the recovery phrase with `salt`, `opslimit` and
  `memlimit`;
- a reflection's document (format 1): a 24-byte nonce then XChaCha20-Poly1305-IETF of the JSON
  document under the journal key, with the reflection's client_id as additional data.
"""

import base64
import binascii
import re
from dataclasses import dataclass

from nacl import bindings, pwhash

from common.errors import Invalid

DOCUMENT_FORMAT = 1
DOCUMENT_FORMATS = (DOCUMENT_FORMAT,)
KEY_BYTES = bindings.crypto_secretbox_KEYBYTES
PUBLIC_KEY_BYTES = bindings.crypto_box_PUBLICKEYBYTES
SEALED_KEY_BYTES = KEY_BYTES + bindings.crypto_box_SEALBYTES
RECOVERY_WRAPPED_KEY_BYTES = bindings.crypto_secretbox_NONCEBYTES + KEY_BYTES + bindings.crypto_secretbox_MACBYTES
SALT_BYTES = pwhash.argon2id.SALTBYTES
DOCUMENT_OVERHEAD_BYTES = (
    bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES
)
# The phrase's secret must stay costly to guess: at least libsodium's "interactive" limits,
# at most what a phone can afford.
OPSLIMIT_RANGE = (pwhash.argon2id.OPSLIMIT_INTERACTIVE, pwhash.argon2id.OPSLIMIT_SENSITIVE)
MEMLIMIT_RANGE = (pwhash.argon2id.MEMLIMIT_INTERACTIVE, pwhash.argon2id.MEMLIMIT_SENSITIVE)
KEY_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


@dataclass(frozen=True)
class EncryptedDocument:
    """A reflection's words as the phone sends them: base64 `ciphertext`, the `key_id` of the
    journal key that encrypted it, and the document `format`."""

    ciphertext: str
    key_id: str
    format: int


def decoded(value: str, *, field: str, size: int | None = None, minimum: int = 1, maximum: int | None = None) -> bytes:
    """The bytes of a base64 value, refused (400 on `field`) unless they have the right size."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise Invalid("Must be standard base64.", code="invalid_encoding", field=field) from None
    too_short = len(raw) < (size or minimum)
    too_long = len(raw) > (size or maximum or len(raw))
    if too_short or too_long:
        expected = f"{size} bytes" if size else f"{minimum} to {maximum} bytes"
        raise Invalid(f"Must decode to {expected}.", code="invalid_length", field=field)
    return raw


def check_key_id(key_id: str, *, field: str = "key_id") -> None:
    if not KEY_ID.fullmatch(key_id):
        raise Invalid("8 to 64 letters, digits, - or _.", code="invalid", field=field)


def check_recovery_limits(*, opslimit: int, memlimit: int) -> None:
    if not OPSLIMIT_RANGE[0] <= opslimit <= OPSLIMIT_RANGE[1]:
        raise Invalid(f"Between {OPSLIMIT_RANGE[0]} and {OPSLIMIT_RANGE[1]}.", code="out_of_range", field="opslimit")
    if not MEMLIMIT_RANGE[0] <= memlimit <= MEMLIMIT_RANGE[1]:
        raise Invalid(f"Between {MEMLIMIT_RANGE[0]} and {MEMLIMIT_RANGE[1]}.", code="out_of_range", field="memlimit")


# Goes with an export, so that a person can open their own journal with any libsodium.
EXPORT_DESCRIPTION = (
    "End-to-end encrypted reflections carry `document` instead of `body`. To read them: derive the "
    "recovery secret with Argon2id (libsodium crypto_pwhash, ALG_ARGON2ID13, 32 bytes) from your "
    "recovery phrase, journal.recovery.salt, opslimit and memlimit; the journal key is "
    "crypto_secretbox_open of journal.recovery.wrapped_key (its first 24 bytes are the nonce) under "
    "that secret, or crypto_box_seal_open of a device's wrapped_key with that device's key pair. "
    "Each document (format 1) is base64 of a 24-byte nonce then "
    "crypto_aead_xchacha20poly1305_ietf ciphertext under the journal key, with the reflection's "
    "client_id (text, UTF-8) as additional data; it opens to UTF-8 JSON with `text`. "
    "tools/journal_client.py does all of this: `python -m tools.journal_client decrypt-export`."
)
