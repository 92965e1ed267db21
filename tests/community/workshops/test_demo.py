import pytest
from django.utils import timezone

from community.workshops import demo
from community.workshops.models import Registration, Workshop
from tests.factories import BuilderFactory, UserFactory


@pytest.mark.django_db
def test_demo_seed_twice_gives_the_same_workshops_with_a_waitlist_and_a_recording():
    members = [UserFactory() for _ in range(12)]
    builder = BuilderFactory()
    demo.seed(members=members, builder=builder)
    counts = (Workshop.objects.count(), Registration.objects.count())
    demo.seed(members=members, builder=builder)

    assert (Workshop.objects.count(), Registration.objects.count()) == counts
    assert counts[0] == 5
    assert Registration.objects.filter(status="waitlisted").exists()
    assert Workshop.objects.filter(ends_at__lt=timezone.now()).exclude(recording_url="").exists()
    assert Workshop.objects.filter(starts_at__gt=timezone.now()).count() == 3
