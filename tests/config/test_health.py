import logging

import pytest
from django.db import connections

from tests.support.services import redis_url

DATABASE_ERROR = 'connection to server at "db.internal" (10.0.0.5), port 5432 failed: Connection refused'
# Nothing listens on port 1: a Redis client gets "connection refused" at once.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def broken_database(monkeypatch):
    def refuse(*args, **kwargs):
        raise connections["default"].Database.OperationalError(DATABASE_ERROR)

    monkeypatch.setattr(connections["default"], "cursor", refuse)


@pytest.mark.django_db
def test_healthz_answers_ok_without_touching_services(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_ready_when_database_answers(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "failing": []}


@pytest.mark.django_db
@pytest.mark.redis
def test_readyz_reports_ready_when_database_and_redis_answer(client, settings):
    settings.REDIS_URL = redis_url()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "failing": []}


@pytest.mark.django_db
def test_readyz_names_only_the_failing_database_and_logs_the_reason(client, settings, broken_database, caplog):
    settings.REDIS_URL = ""

    with caplog.at_level(logging.WARNING, logger="config.health"):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["database"]}
    assert "db.internal" not in response.content.decode()
    assert DATABASE_ERROR in caplog.text


@pytest.mark.django_db
def test_readyz_names_only_the_failing_redis_and_logs_the_reason(client, settings, caplog):
    settings.REDIS_URL = UNREACHABLE_REDIS

    with caplog.at_level(logging.WARNING, logger="config.health"):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["redis"]}
    assert "127.0.0.1" not in response.content.decode()
    assert "readiness: redis check failed" in caplog.text
    assert "Connection refused" in caplog.text


@pytest.mark.django_db
def test_readyz_names_both_when_database_and_redis_are_down(client, settings, broken_database):
    settings.REDIS_URL = UNREACHABLE_REDIS

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["database", "redis"]}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_head_like_get_without_a_body(client, settings, path):
    settings.REDIS_URL = ""

    get = client.get(path)
    head = client.head(path)

    assert (head.status_code, head["Content-Type"]) == (get.status_code, get["Content-Type"])
    assert head.status_code == 200
    assert head.content == b""


@pytest.mark.django_db
def test_readyz_answers_head_with_503_when_not_ready(client, settings, broken_database):
    settings.REDIS_URL = ""

    response = client.head("/readyz")

    assert response.status_code == 503
    assert response.content == b""
