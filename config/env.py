"""Reading settings from the environment.

The embedded default needs no variable at all: secrets it needs are generated once and kept
under var/, which only this user can read. In production (DJANGO_ENV=production) nothing is
generated, and a missing or malformed variable stops the process with a message naming it.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

ENVIRONMENTS = ("development", "production")


def environment() -> str:
    """DJANGO_ENV, one of ENVIRONMENTS (unset or empty: development). Anything else stops the
    process: a "Production" or "prod" meant as production must not run as development, with
    generated keys, demo data allowed and no HSTS."""
    value = os.environ.get("DJANGO_ENV", "").strip() or "development"
    if value not in ENVIRONMENTS:
        raise ImproperlyConfigured(
            f"DJANGO_ENV must be {' or '.join(ENVIRONMENTS)} (unset means development), not {value[:40]!r}."
        )
    return value


def is_production() -> bool:
    return environment() == "production"


def required_in_production(name: str, *, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if is_production():
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production.")
    return default


def kept_secret(name: str, *, var_dir: Path, generate) -> str:
    """The variable's value, or (outside production) a value generated once under var/."""
    value = required_in_production(name)
    if value:
        return value
    path = private_directory(var_dir) / name.lower()
    if not path.exists():
        _create_private_file(path, generate())
    return path.read_text().strip()


def private_directory(path: Path) -> Path:
    """The directory, made if missing, that only this user can enter (0700): var/ holds the
    keys and the SQLite database, and a directory made looser before is tightened."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def _create_private_file(path: Path, text: str) -> None:
    """A new file only this user can read (0600) from its first byte. It appears whole (written
    aside, then linked into place), and if another process starting at the same moment made it
    first, theirs stays, so both use the same secret."""
    aside = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    with os.fdopen(os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        file.write(text)
    try:
        os.link(aside, path)
    except FileExistsError:
        pass
    finally:
        aside.unlink()


def fernet_keys(name: str, value: str) -> list[str]:
    """Comma-separated Fernet keys, each checked now: a malformed key would otherwise pass
    start-up and fail every encryption later. The message never shows a key."""
    keys = [key.strip() for key in value.split(",")]
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: key {position} of {len(keys)} is not a Fernet key "
                "(32 bytes in URL-safe base64, e.g. from Fernet.generate_key())."
            ) from None
    return keys


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def flag(name: str, *, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def integer(name: str, *, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def listing(name: str, *, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database(url: str, *, pool_size: int) -> dict:
    """Django's settings for DATABASE_URL. PostgreSQL connections come from psycopg's pool (one
    per process, at most `pool_size` connections): under ASGI each request, and each database
    call of a WebSocket, may run on a thread of its own, so connections kept per thread
    (CONN_MAX_AGE) would pile up, and none kept means opening one for every call. The pool lends
    a connection already open and takes it back when Django closes it; each is checked before it
    is lent, so one broken by a database restart is replaced rather than failing a request."""
    settings = dj_database_url.parse(url, conn_max_age=0, conn_health_checks=True)
    if settings["ENGINE"] == "django.db.backends.postgresql":
        settings.setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": pool_size, "timeout": 10}
    return settings
