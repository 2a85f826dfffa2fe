"""What a copy of var/ or of the database gives away: the files are this user's alone, and the
refresh tokens in the database are hashes that sign nobody in."""

import importlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, models
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.factories import DEFAULT_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
REFRESH = "/api/v1/auth/token/refresh"


def sign_in(client, user) -> dict:
    response = client.post("/api/v1/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def every_stored_string() -> list[str]:
    """Every text value in every table of the project."""
    found = []
    for model in apps.get_models():
        text = (models.CharField, models.TextField, models.JSONField)
        names = [field.attname for field in model._meta.concrete_fields if isinstance(field, text)]
        for row in model.objects.values_list(*names) if names else []:
            found.extend(str(value) for value in row if value)
    return found


# Refresh tokens at rest


@pytest.mark.django_db
def test_after_signing_in_no_stored_string_is_the_refresh_token(anonymous, member):
    refresh = sign_in(anonymous, member)["refresh"]
    signature = refresh.rsplit(".", 1)[1]

    assert OutstandingToken.objects.filter(user=member).count() == 1
    assert not any(signature in value for value in every_stored_string())


@pytest.mark.django_db
def test_a_rotated_refresh_token_is_not_stored_either(anonymous, member):
    first = sign_in(anonymous, member)["refresh"]

    rotated = anonymous.post(REFRESH, {"refresh": first}, format="json").json()["refresh"]

    assert OutstandingToken.objects.filter(user=member).count() == 2
    assert not any(rotated.rsplit(".", 1)[1] in value for value in every_stored_string())


@pytest.mark.django_db
def test_what_is_stored_of_a_refresh_token_does_not_refresh(anonymous, member):
    sign_in(anonymous, member)

    stored = OutstandingToken.objects.get(user=member).token
    assert anonymous.post(REFRESH, {"refresh": stored}, format="json").status_code == 401


@pytest.mark.django_db
def test_a_token_made_outside_sign_in_is_stored_hashed_too(member):
    refresh = RefreshToken.for_user(member)

    assert OutstandingToken.objects.get(jti=refresh["jti"]).token != str(refresh)
    assert str(refresh) not in every_stored_string()


@pytest.mark.django_db
def test_revoking_still_works_on_hashed_tokens(anonymous, client_for, member):
    refresh = sign_in(anonymous, member)["refresh"]

    assert client_for(member).post("/api/v1/auth/logout/everywhere").status_code == 204
    assert anonymous.post(REFRESH, {"refresh": refresh}, format="json").status_code == 401


@pytest.mark.django_db
def test_the_migration_hashes_the_tokens_stored_whole_before(member):
    refresh = RefreshToken.for_user(member)
    OutstandingToken.objects.filter(jti=refresh["jti"]).update(token=str(refresh))  # as stored before
    migration = importlib.import_module("refresh_tokens.migrations.0001_hash_stored_refresh_tokens")

    migration.hash_stored_tokens(apps, connection.schema_editor())

    assert str(refresh) not in every_stored_string()
    assert OutstandingToken.objects.get(jti=refresh["jti"]).token.startswith("sha256$")


@pytest.mark.django_db(transaction=True)
def test_the_refresh_token_never_reaches_the_disk(anonymous, member):
    refresh = sign_in(anonymous, member)["refresh"]
    jti, signature = RefreshToken(refresh)["jti"], refresh.rsplit(".", 1)[1]

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
        database = Path(connection.settings_dict["NAME"])
        stored = b"".join(path.read_bytes() for path in (database, Path(f"{database}-wal")) if path.exists())
        assert jti.encode() in stored  # the row is on disk: these are the right bytes
        assert signature.encode() not in stored
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT jti, token FROM token_blacklist_outstandingtoken")
            rows = cursor.fetchall()
        assert [row[0] for row in rows] == [jti]
        assert not any(signature in row[1] for row in rows)


# Files under var/


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def start_embedded(var_dir: Path) -> dict[str, int]:
    """A fresh embedded-default process writing to its database, as `make run` would: the
    permission bits of what is under var/ while its connection is open (-wal, -shm included)."""
    given = {"DATABASE_URL", "SECRET_KEY", "REFLECTION_KEYS"}
    env = {key: value for key, value in os.environ.items() if key not in given}
    env.update(HUMBLE_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings", DJANGO_ENV="development")
    script = (
        "import os, stat, sys, django\n"
        "django.setup()\n"
        "from django.db import connection\n"
        "connection.cursor().execute('CREATE TABLE t (x)')\n"
        "for name in sorted(os.listdir(sys.argv[1])):\n"
        "    print(name, stat.S_IMODE(os.stat(os.path.join(sys.argv[1], name)).st_mode))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(var_dir)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return {name: int(bits) for name, bits in (line.split() for line in result.stdout.splitlines())}


def test_everything_the_embedded_default_writes_under_var_is_the_users_alone(tmp_path):
    var_dir = tmp_path / "var"

    modes = start_embedded(var_dir)

    assert mode(var_dir) == 0o700
    for name in ("humble.sqlite3", "humble.sqlite3-wal", "humble.sqlite3-shm", "secret_key", "reflection_keys"):
        assert modes[name] == 0o600, name


def test_a_var_directory_made_readable_before_is_tightened(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    var_dir.chmod(0o755)

    start_embedded(var_dir)

    assert mode(var_dir) == 0o700
