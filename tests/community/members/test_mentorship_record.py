import pytest

from mentorship.enums import BatchStatus, MatchStatus
from tests.factories import UserFactory
from tests.mentorship.factories import MatchFactory


@pytest.mark.django_db
def test_completed_pair_is_kept_on_both_profiles(client):
    match = MatchFactory(batch__status=BatchStatus.COMPLETED, batch__name="Autumn cohort", status=MatchStatus.COMPLETED)
    mentor = match.mentor_application.member.profile
    mentee = match.mentee_application.member.profile
    client.force_login(UserFactory())

    mentor_page = client.get(mentor.get_absolute_url()).content.decode()
    mentee_page = client.get(mentee.get_absolute_url()).content.decode()

    assert "Mentor in Autumn cohort, with" in mentor_page
    assert mentee.display_name in mentor_page
    assert "Mentee in Autumn cohort, with" in mentee_page
    assert mentor.display_name in mentee_page


@pytest.mark.django_db
def test_mentorship_record_does_not_name_a_partner_the_viewer_cannot_see(client):
    match = MatchFactory(batch__status=BatchStatus.COMPLETED, batch__name="Autumn cohort", status=MatchStatus.COMPLETED)
    mentor = match.mentor_application.member.profile
    mentee = match.mentee_application.member.profile
    mentee.visibility = "members"
    mentee.save()

    page = client.get(mentor.get_absolute_url()).content.decode()

    assert "Mentor in Autumn cohort (completed)" in " ".join(page.split())
    assert mentee.display_name not in page


@pytest.mark.django_db
def test_active_pair_is_not_shown_as_a_record(client):
    match = MatchFactory(batch__status=BatchStatus.ACTIVE, batch__name="Winter cohort", status=MatchStatus.ACTIVE)
    page = client.get(match.mentor_application.member.profile.get_absolute_url()).content.decode()
    assert "Winter cohort" not in page
