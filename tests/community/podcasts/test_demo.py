import pytest
from django.utils import timezone

from community.podcasts import demo
from community.podcasts.models import Episode, EpisodeGuest
from tests.factories import BuilderFactory, UserFactory


@pytest.mark.django_db
def test_demo_seed_twice_gives_the_same_episodes_one_scheduled():
    members = [UserFactory() for _ in range(3)]
    builder = BuilderFactory()
    first = demo.seed(members=members, builder=builder)
    counts = (Episode.objects.count(), EpisodeGuest.objects.count())
    second = demo.seed(members=members, builder=builder)

    assert (Episode.objects.count(), EpisodeGuest.objects.count()) == counts == (6, 12)
    assert first == "6 episodes (6 new, 1 scheduled)"
    assert second == "6 episodes (0 new, 1 scheduled)"
    assert Episode.objects.filter(publish_at__gt=timezone.now()).count() == 1
