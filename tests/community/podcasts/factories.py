from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from community.podcasts.models import Episode, EpisodeGuest

VTT = """WEBVTT

00:00:00.000 --> 00:00:04.000
<v Ada>Welcome to the show.

00:00:04.500 --> 00:00:09.000
<v Grace>Thanks for having me &amp; hello.
"""

SRT = """1
00:00:00,000 --> 00:00:04,000
Welcome to the show.

2
00:00:04,500 --> 00:00:09,000
Thanks for having me.
"""


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    title = factory.Sequence(lambda n: f"Episode {n}: Operators in practice")
    slug = factory.Sequence(lambda n: f"episode-{n}")
    summary = "How a small team runs Kubernetes operators in production."
    show_notes = "Links:\n\n- [Operator pattern](https://kubernetes.io/docs/concepts/extend-kubernetes/operator/)\n"
    audio_url = factory.Sequence(lambda n: f"https://media.example.org/episodes/{n}.mp3")
    audio_length = 31_457_280
    audio_type = "audio/mpeg"
    duration = timedelta(minutes=42, seconds=10)
    publish_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    season = 1
    number = factory.Sequence(lambda n: n + 1)

    class Params:
        with_transcript = factory.Trait(
            transcript=factory.LazyAttribute(lambda o: ContentFile(VTT.encode(), name=f"{o.slug}.vtt"))
        )
        with_chapters = factory.Trait(
            chapters={
                "version": "1.2.0",
                "chapters": [{"startTime": 0, "title": "Welcome"}, {"startTime": 95, "title": "Operators"}],
            }
        )


class EpisodeGuestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EpisodeGuest

    episode = factory.SubFactory(EpisodeFactory)
    name = factory.Faker("name")
