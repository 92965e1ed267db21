import pytest
from django.db import connections
from django.test import override_settings

from tests.factories import UserFactory

HOME_LINK = '<a href="/">Back to the home page</a>'


@pytest.fixture(autouse=True)
def _production_errors(settings) -> None:
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]


@pytest.mark.django_db
def test_missing_page_is_shown_in_the_site_layout(client):
    response = client.get("/no-such-page/")

    body = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in body
    assert '<nav aria-label="Main">' in body
    assert HOME_LINK in body


@pytest.mark.django_db
def test_forbidden_page_says_why_in_the_site_layout(client):
    client.force_login(UserFactory())

    response = client.get("/mentorship/manage/")

    body = response.content.decode()
    assert response.status_code == 403
    assert "<h1>You cannot open this page</h1>" in body
    assert "Only community builders can open this page." in body
    assert '<nav aria-label="Main">' in body
    assert HOME_LINK in body


@pytest.mark.django_db
def test_bad_request_is_shown_in_the_site_layout(client):
    response = client.get("/", HTTP_HOST="unknown.example")

    body = response.content.decode()
    assert response.status_code == 400
    assert "<h1>We could not understand that request</h1>" in body
    assert HOME_LINK in body


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.config.failing_urls")
def test_server_error_shows_a_plain_page_with_a_way_home(client):
    client.raise_request_exception = False

    response = client.get("/broken/")

    body = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in body
    assert HOME_LINK in body
    assert '<link rel="stylesheet" href="/static/css/site.css">' in body
    assert "<style" not in body  # the Content-Security-Policy blocks inline styles
    assert "this page always fails" not in body


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.config.failing_urls")
def test_server_error_page_renders_while_the_database_is_down(client, monkeypatch):
    client.raise_request_exception = False

    def refuse(*args, **kwargs):
        raise connections["default"].Database.OperationalError("connection refused")

    # The session and user are never loaded for an anonymous visitor without a cookie; only the
    # error page itself could touch the database here, and it must not.
    monkeypatch.setattr(connections["default"], "cursor", refuse)
    response = client.get("/broken/")

    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.content.decode()
