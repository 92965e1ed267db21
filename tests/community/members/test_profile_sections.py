import pytest

from community.members import profile_sections
from community.members.profile_sections import ProfileSection, register_profile_section
from tests.factories import UserFactory


@pytest.fixture
def registry(monkeypatch):
    """The sources the apps registered, restored after the test."""
    monkeypatch.setattr(profile_sections, "_sources", dict(profile_sections._sources))


def test_mentorship_registers_its_record_as_a_profile_section():
    assert list(profile_sections._sources) == ["mentorship"]


@pytest.mark.django_db
def test_a_registered_section_is_rendered_for_the_profile_and_viewer_it_was_asked_for(client, registry):
    asked = []

    def cohort(*, profile, viewer):
        asked.append((profile.pk, viewer.is_authenticated))
        record = [{"role": "Mentee", "batch": {"name": "Pilot cohort"}, "other": None}]
        return ProfileSection("mentorship/_profile_record.html", {"record": record})

    register_profile_section("cohort", cohort)
    shown = UserFactory(profile__visibility="public").profile

    page = client.get(shown.get_absolute_url()).content.decode()

    assert asked == [(shown.pk, False)]
    assert "Mentee in Pilot cohort (completed)" in " ".join(page.split())


@pytest.mark.django_db
def test_a_section_with_nothing_to_show_adds_no_markup(client, registry):
    register_profile_section("mentorship", lambda *, profile, viewer: None)
    shown = UserFactory(profile__visibility="public").profile

    page = client.get(shown.get_absolute_url()).content.decode()

    assert "<section" not in page.split("Time zone")[1]
