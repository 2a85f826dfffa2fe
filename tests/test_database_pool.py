"""PostgreSQL connections come from psycopg's pool (Django's own support): a request or a
WebSocket's database call borrows a connection already open instead of opening its own."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import AsyncClient
from rest_framework_simplejwt.tokens import AccessToken

from config.env import database

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's")


def test_a_postgresql_url_gets_a_pool_of_the_size_asked_and_no_kept_connections():
    settings = database("postgres://humble@db.example:5432/humble", pool_size=7)
    assert settings["OPTIONS"]["pool"]["max_size"] == 7
    assert settings["CONN_MAX_AGE"] == 0  # the pool keeps connections; Django must not keep them per thread


def test_a_sqlite_url_gets_no_pool():
    assert "pool" not in database("sqlite:////tmp/humble.sqlite3", pool_size=7).get("OPTIONS", {})


@on_postgresql
def test_the_server_s_database_is_pooled():
    assert connection.pool is not None


@on_postgresql
@pytest.mark.django_db(transaction=True)
async def test_requests_borrow_pooled_connections_instead_of_opening_their_own(member):
    client, auth = AsyncClient(), {"Authorization": f"Bearer {await sync_to_async(AccessToken.for_user)(member)}"}
    await client.get("/api/v1/today", headers=auth)  # the pool is open and holds a connection from here on
    opened = connection.pool.get_stats().get("connections_num", 0)

    for _ in range(20):
        answer = await client.get("/api/v1/today", headers=auth)
        assert answer.status_code == 200, answer.content

    assert connection.pool.get_stats().get("connections_num", 0) - opened <= 1
