"""Real Firebase ID tokens for tests: signed by a key of our own, whose certificate is served
where firebase-admin fetches Google's, so the real verification code runs end to end."""

import datetime
import time

import jwt
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from firebase_admin import _token_gen

PROJECT_ID = "humble-test"
KEY_ID = "test-key-1"


def _make_signer():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.PEM).decode()


PRIVATE_KEY, CERTIFICATE_PEM = _make_signer()


def id_token(*, uid: str, email: str | None, email_verified: bool = True, name: str = "", expired: bool = False) -> str:
    now = int(time.time()) - (7200 if expired else 0)
    claims = {
        "iss": f"https://securetoken.google.com/{PROJECT_ID}",
        "aud": PROJECT_ID,
        "auth_time": now - 10,
        "user_id": uid,
        "sub": uid,
        "iat": now - 10,
        "exp": now + 3600,
        "email_verified": email_verified,
        "firebase": {"sign_in_provider": "password"},
    }
    if email:
        claims["email"] = email
    if name:
        claims["name"] = name
    return jwt.encode(claims, PRIVATE_KEY, algorithm="RS256", headers={"kid": KEY_ID})


def serve_certificates(mock: responses.RequestsMock) -> None:
    mock.get(_token_gen.ID_TOKEN_CERT_URI, json={KEY_ID: CERTIFICATE_PEM}, headers={"Cache-Control": "max-age=0"})
