from pathlib import Path

import pytest

from tests.factories import BuilderFactory, UserFactory


@pytest.mark.django_db
def test_layout_has_landmarks_and_a_skip_link(client):
    body = client.get("/").content.decode()

    assert '<a class="skip-link" href="#main">Skip to main content</a>' in body
    assert '<nav aria-label="Main">' in body
    assert '<main id="main"' in body
    assert "<footer" in body
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in body
    assert 'aria-controls="nav-links"' in body  # the phone menu button


@pytest.mark.django_db
def test_navigation_offers_workflows_and_admin_to_builders_only(client):
    member = UserFactory()
    client.force_login(member)
    member_nav = client.get("/").content.decode()
    client.force_login(BuilderFactory())
    builder_nav = client.get("/").content.decode()

    for section in ("/podcast/", "/workshops/", "/chats/", "/mentorship/", "/members/"):
        assert f'href="{section}"' in member_nav
    assert 'href="/workflows/"' not in member_nav
    assert 'href="/admin/"' not in member_nav
    assert 'href="/workflows/"' in builder_nav
    assert 'href="/admin/"' in builder_nav


@pytest.mark.django_db
def test_navigation_marks_the_current_section(client):
    body = client.get("/members/").content.decode()

    assert '<a href="/members/" aria-current="page">Members</a>' in body


@pytest.mark.django_db
def test_anonymous_navigation_offers_login_back_to_the_same_page(client):
    body = client.get("/members/").content.decode()

    assert 'href="/accounts/login/?next=/members/"' in body
    assert 'href="/accounts/signup/"' in body


def test_make_run_serves_the_address_readme_gives_and_links_follow_it():
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    procfile = (root / "Procfile.dev").read_text()
    makefile = (root / "Makefile").read_text()

    assert "start the site at http://127.0.0.1:8000" in readme
    # honcho hands every process PORT=5000; the site binds its own variable, 8000 unless told otherwise.
    assert "runserver 127.0.0.1:${WEB_PORT:-8000}" in procfile
    assert "WEB_PORT ?= 8000" in makefile
    assert "run run-kube: export SITE_URL ?= http://127.0.0.1:$(WEB_PORT)" in makefile
