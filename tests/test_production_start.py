"""Production refuses to start on a setting it cannot run safely with, naming the variable,
before it serves anything: a misspelt environment, a malformed reflection key, a wildcard host."""

import pytest
from cryptography.fernet import Fernet

from tests.test_hardening import manage, production_env

KEY = Fernet.generate_key().decode()


@pytest.mark.parametrize("value", ["Production", "prod", "PRODUCTION", "staging", "production,"])
def test_an_unknown_environment_refuses_to_start_naming_the_allowed_ones(value):
    result = manage("check", env=production_env(DJANGO_ENV=value))

    assert result.returncode != 0
    assert "DJANGO_ENV must be development or production" in result.stderr


def test_an_empty_environment_is_development():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.PRODUCTION)",
        env=production_env(DJANGO_ENV=""),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "keys",
    ["not-a-fernet-key", f"{KEY},", f"{KEY},{KEY[:20]}", "x" * 44],
    ids=["nonsense", "trailing comma", "a truncated second key", "not base64 of 32 bytes"],
)
def test_a_malformed_reflection_key_refuses_to_start_without_showing_it(keys):
    result = manage("check", "--deploy", env=production_env(REFLECTION_KEYS=keys))

    assert result.returncode != 0
    assert "REFLECTION_KEYS: key" in result.stderr
    for key in filter(None, keys.split(",")):
        assert key not in result.stderr + result.stdout


def test_a_malformed_reflection_key_refuses_to_start_in_development_too():
    result = manage("check", env=production_env(DJANGO_ENV=None, DATABASE_URL=None, REFLECTION_KEYS="short"))

    assert result.returncode != 0
    assert "REFLECTION_KEYS: key 1 of 1 is not a Fernet key" in result.stderr


def test_several_good_reflection_keys_start():
    keys = f"{KEY}, {Fernet.generate_key().decode()}"

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(REFLECTION_KEYS=keys))

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("hosts", ["*", "api.example.com,*", "*.example.com"])
def test_a_wildcard_host_refuses_to_start_in_production(hosts):
    result = manage("check", env=production_env(ALLOWED_HOSTS=hosts))

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must name the hosts" in result.stderr
