"""Reading settings from the environment.

The embedded default needs no variable at all: secrets it needs are generated once and kept
under var/. In production (DJANGO_ENV=production) nothing is generated and a missing variable
stops the process with a message naming it.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def is_production() -> bool:
    return os.environ.get("DJANGO_ENV", "development") == "production"


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
    path = var_dir / name.lower()
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(generate())
        path.chmod(0o600)
    return path.read_text().strip()


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
