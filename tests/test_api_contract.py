"""What every phone can rely on: paths, error shape, schema, docs and health checks."""

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import error_codes

pytestmark = pytest.mark.django_db


def test_a_trailing_slash_is_optional_and_never_redirects(client_for, member):
    client = client_for(member)
    without, with_slash = client.get("/api/v1/me"), client.get("/api/v1/me/")
    assert (without.status_code, with_slash.status_code) == (200, 200)
    assert without.json() == with_slash.json()


def test_a_post_with_a_trailing_slash_is_served_not_redirected(anonymous, member):
    response = anonymous.post(
        "/api/v1/auth/token/", {"email": member.email, "password": "a-long-test-password"}, format="json"
    )
    assert response.status_code == 200


def test_an_unknown_path_answers_in_the_error_shape(anonymous):
    response = anonymous.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "No such path.", "attr": None}],
    }


def test_a_wrong_method_is_a_405_in_the_error_shape(client_for, member):
    response = client_for(member).delete("/api/v1/today")
    assert response.status_code == 405
    assert error_codes(response) == [(None, "method_not_allowed")]


def test_malformed_json_is_a_400(client_for, member):
    response = client_for(member).generic("POST", "/api/v1/reflections", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_codes(response) == [(None, "parse_error")]


def test_a_form_post_is_an_unsupported_media_type(client_for, member):
    response = client_for(member).post("/api/v1/reflections", {"body": "x"}, format="multipart")
    assert response.status_code == 415


def test_the_openapi_schema_is_generated_from_the_code(anonymous):
    response = anonymous.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("openapi: 3")
    for path in ("/api/v1/reflections:", "/api/v1/acknowledgements:", "/api/v1/today:", "/api/v1/auth/firebase:"):
        assert path in text


def test_the_interactive_docs_load_their_assets_from_this_server(anonymous):
    page = anonymous.get("/api/docs/").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    asset = Client().get(f"{settings.STATIC_URL}drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200


def test_healthz_answers_without_touching_anything(anonymous, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert anonymous.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_the_database_and_the_configured_channel_layer(anonymous):
    response = anonymous.get("/readyz")
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "channel_layer": "ok"}}
    assert response.status_code == 200


def test_readyz_says_degraded_when_the_channel_layer_is_down(anonymous, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},  # discard port: nothing listens
        }
    }
    response = anonymous.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["channel_layer"].startswith("unavailable")


def test_the_channel_layer_is_redis_when_redis_url_is_set():
    """CI's second pass sets REDIS_URL: the suite then runs on the real Redis layer."""
    expected = "channels_redis.core.RedisChannelLayer" if settings.REDIS_URL else "channels.layers.InMemoryChannelLayer"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == expected
