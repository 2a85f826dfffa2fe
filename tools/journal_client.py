"""The reference client of the end-to-end encrypted journal: what a phone does, in Python.

A mobile developer implements the same steps with libsodium (swift-sodium, Lazysodium, ...);
README, "The end-to-end encrypted journal", describes the formats. This module talks to the
real API over HTTP and uses nothing of the server's code, only PyNaCl (libsodium):

- the journal key: 32 random bytes, made here, never sent in the clear;
- a device: an X25519 key pair; the journal key reaches it sealed (crypto_box_seal) to its
  public key, by another of the person's devices or by itself after recovery;
- the recovery phrase: 128 random bits shown to the person once; Argon2id turns it into the
  secret that wraps the journal key (crypto_secretbox, nonce first);
- a reflection: JSON {"text": ...} encrypted with XChaCha20-Poly1305-IETF under the journal
  key, nonce first, with the reflection's client_id as additional data, so the server cannot
  swap one reflection's words for another's.

Lose every device and the phrase, and the journal is lost: nothing on the server opens it.

From the command line, a person decrypts their own export:
    python -m tools.journal_client decrypt-export humble-export.json --phrase "ABCD-EFGH-..."
"""

import argparse
import base64
import json
import secrets
import sys
import uuid

import requests
from nacl import pwhash, secret
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
)
from nacl.public import PrivateKey, PublicKey, SealedBox

DOCUMENT_FORMAT = 1
OPSLIMIT = pwhash.argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = pwhash.argon2id.MEMLIMIT_INTERACTIVE


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def new_recovery_phrase() -> str:
    """128 random bits as 26 base32 letters in groups of four, easy to write down."""
    letters = base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=")
    return "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))


def recovery_secret(phrase: str, *, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    normalised = "".join(phrase.upper().split()).replace("-", "")
    return pwhash.argon2id.kdf(secret.SecretBox.KEY_SIZE, normalised.encode("ascii"), salt, opslimit, memlimit)


def wrap_for_recovery(journal_key: bytes, phrase: str, *, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    box = secret.SecretBox(recovery_secret(phrase, salt=salt, opslimit=opslimit, memlimit=memlimit))
    return bytes(box.encrypt(journal_key))  # nonce, then ciphertext and tag


def unwrap_with_phrase(recovery: dict, phrase: str) -> bytes:
    secret_key = recovery_secret(
        phrase, salt=unb64(recovery["salt"]), opslimit=recovery["opslimit"], memlimit=recovery["memlimit"]
    )
    return secret.SecretBox(secret_key).decrypt(unb64(recovery["wrapped_key"]))


def seal_for(journal_key: bytes, public_key: str) -> str:
    return b64(SealedBox(PublicKey(unb64(public_key))).encrypt(journal_key))


def encrypt_document(journal_key: bytes, client_id: str, document: dict) -> str:
    nonce = secrets.token_bytes(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    plaintext = json.dumps(document, ensure_ascii=False).encode("utf-8")
    sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, client_id.encode("utf-8"), nonce, journal_key)
    return b64(nonce + sealed)


def decrypt_document(journal_key: bytes, client_id: str, ciphertext: str) -> dict:
    raw = unb64(ciphertext)
    nonce, sealed = (
        raw[:crypto_aead_xchacha20poly1305_ietf_NPUBBYTES],
        raw[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES:],
    )
    return json.loads(crypto_aead_xchacha20poly1305_ietf_decrypt(sealed, client_id.encode("utf-8"), nonce, journal_key))


class JournalClient:
    """One phone of one person: its device key pair and, once unlocked, the journal key."""

    def __init__(self, base_url: str, access_token: str, *, device_name: str = "phone"):
        self.api = base_url.rstrip("/") + "/api/v1/"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {access_token}"
        self.device_name = device_name
        self.device_key = PrivateKey.generate()
        self.journal_key: bytes | None = None
        self.key_id: str | None = None

    @property
    def public_key(self) -> str:
        return b64(bytes(self.device_key.public_key))

    def _call(self, method: str, path: str, **kwargs) -> dict | None:
        response = self.http.request(method, self.api + path, timeout=30, **kwargs)
        if response.status_code >= 400:
            raise JournalError(response.status_code, response.json())
        return response.json() if response.content else None

    def journal(self) -> dict:
        return self._call("GET", "me/journal")

    def turn_on(self) -> str:
        """Makes the journal key and turns end-to-end encryption on; returns the recovery phrase
        to show the person once."""
        phrase = new_recovery_phrase()
        journal_key, salt = (
            secrets.token_bytes(secret.SecretBox.KEY_SIZE),
            secrets.token_bytes(pwhash.argon2id.SALTBYTES),
        )
        key_id = secrets.token_urlsafe(12)
        wrapped = wrap_for_recovery(journal_key, phrase, salt=salt, opslimit=OPSLIMIT, memlimit=MEMLIMIT)
        self._call(
            "POST",
            "me/journal",
            json={
                "key_id": key_id,
                "recovery": {
                    "wrapped_key": b64(wrapped),
                    "salt": b64(salt),
                    "opslimit": OPSLIMIT,
                    "memlimit": MEMLIMIT,
                },
                "device": {
                    "name": self.device_name,
                    "public_key": self.public_key,
                    "wrapped_key": seal_for(journal_key, self.public_key),
                },
            },
        )
        self.journal_key, self.key_id = journal_key, key_id
        return phrase

    def register(self) -> int:
        """A new phone asks to join: its public key, no key yet. Returns its device id."""
        device = self._call(
            "POST", "me/journal/devices", json={"name": self.device_name, "public_key": self.public_key}
        )
        return device["id"]

    def wrap_for(self, device_id: int) -> None:
        """On an unlocked phone: seal the journal key for another of the person's devices (the
        person compares the new phone's key fingerprint on both screens first)."""
        device = next(device for device in self.journal()["devices"] if device["id"] == device_id)
        self._call(
            "POST",
            f"me/journal/devices/{device_id}/wrap",
            json={"wrapped_key": seal_for(self._key(), device["public_key"])},
        )

    def unlock(self) -> None:
        """Opens the journal key sealed for this device."""
        journal = self.journal()
        mine = next(device for device in journal["devices"] if device["public_key"] == self.public_key)
        if not mine["wrapped_key"]:
            raise JournalError(None, "no key sealed for this device yet")
        self.journal_key = SealedBox(self.device_key).decrypt(unb64(mine["wrapped_key"]))
        self.key_id = journal["key_id"]

    def recover(self, phrase: str) -> None:
        """A phone with nothing but the recovery phrase: opens the journal key with it and joins
        as a device, sealing the key for itself."""
        journal = self.journal()
        self.journal_key, self.key_id = unwrap_with_phrase(journal["recovery"], phrase), journal["key_id"]
        self._call(
            "POST",
            "me/journal/devices",
            json={
                "name": self.device_name,
                "public_key": self.public_key,
                "wrapped_key": seal_for(self.journal_key, self.public_key),
            },
        )

    def _key(self) -> bytes:
        if self.journal_key is None:
            raise JournalError(None, "the journal is locked on this device")
        return self.journal_key

    def _document(self, client_id: str, text: str) -> dict:
        return {
            "ciphertext": encrypt_document(self._key(), client_id, {"text": text}),
            "key_id": self.key_id,
            "format": DOCUMENT_FORMAT,
        }

    def write(self, text: str, **fields) -> dict:
        """Writes a reflection; `fields` are the parts in the clear (mood, energy, themes, run, session)."""
        client_id = str(uuid.uuid4())
        return self._call(
            "POST", "reflections", json={"client_id": client_id, "document": self._document(client_id, text), **fields}
        )

    def read(self, reflection: dict) -> str:
        """A reflection's words: decrypted here, or as the server still holds them (not moved over yet)."""
        if reflection["document"] is None:
            return reflection["body"]
        return decrypt_document(self._key(), reflection["client_id"], reflection["document"]["ciphertext"])["text"]

    def reflections(self) -> list[dict]:
        found, url = [], self.api + "reflections"
        while url:
            page = self._call("GET", url.removeprefix(self.api))
            found.extend(page["results"])
            url = page["next"]
        return found

    def move_over(self) -> int:
        """Re-encrypts every reflection the server still encrypts; the server then deletes its
        readable copy. Returns how many moved."""
        moved = 0
        for reflection in self.reflections():
            if reflection["document"] is None:
                document = self._document(reflection["client_id"], reflection["body"])
                self._call("PATCH", f"reflections/{reflection['id']}", json={"document": document})
                moved += 1
        return moved


def decrypt_export(export: dict, *, phrase: str) -> list[dict]:
    """The reflections of an export (GET me/export), every one readable, with the recovery phrase."""
    keys = export["journal"]["keys"]
    journal_key = None
    if keys:
        recovery = {
            "wrapped_key": keys[0]["recovery_wrapped_key"],
            "salt": keys[0]["recovery_salt"],
            "opslimit": keys[0]["recovery_opslimit"],
            "memlimit": keys[0]["recovery_memlimit"],
        }
        journal_key = unwrap_with_phrase(recovery, phrase)
    return [
        {
            "id": reflection["id"],
            "created_at": reflection["created_at"],
            "text": reflection["body"]
            if reflection["document"] is None
            else decrypt_document(journal_key, str(reflection["client_id"]), reflection["document"])["text"],
        }
        for reflection in export["reflections"]
    ]


class JournalError(Exception):
    def __init__(self, status: int | None, detail):
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    decrypting = commands.add_parser("decrypt-export", help="print the reflections of an export, decrypted")
    decrypting.add_argument("export", type=argparse.FileType("r"))
    decrypting.add_argument("--phrase", required=True, help="the recovery phrase")
    arguments = parser.parse_args(argv)
    json.dump(
        decrypt_export(json.load(arguments.export), phrase=arguments.phrase), sys.stdout, ensure_ascii=False, indent=2
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
