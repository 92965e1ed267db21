"""Factories for mentorship data; applications come with sensible Areas and a zone from the profile."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from community.members.models import Area
from mentorship.enums import BatchStatus
from mentorship.models import Batch, Match, MenteeApplication, MenteeAreaChoice, MentorApplication
from tests.factories import UserFactory


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch

    name = factory.Sequence(lambda n: f"Cohort {n}")
    slug = factory.Sequence(lambda n: f"cohort-{n}")
    applications_open_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))
    applications_close_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    program_starts_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    program_ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=100))
    status = BatchStatus.OPEN


def area(slug: str) -> Area:
    """One of the default Areas (re-created when a transactional test flushed the data migration's rows)."""
    area, _ = Area.objects.get_or_create(slug=slug, defaults={"name": AREA_NAMES[slug]})
    return area


AREA_NAMES = {
    "technical-guidance": "Technical guidance on projects",
    "open-source": "Contributing to open source",
    "leadership": "Leadership and soft skills",
    "salary-negotiation": "Salary negotiation",
    "career-ladder": "Career ladder",
    "conference-speaking": "Conference speaking",
}


class MentorApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentorApplication
        skip_postgeneration_save = True

    batch = factory.SubFactory(BatchFactory)
    member = factory.SubFactory(UserFactory)
    years_experience = 12
    current_role = "Staff engineer"
    time_zone = "Europe/Berlin"
    languages = factory.LazyFunction(lambda: ["en"])
    hours_per_month = 4
    capacity = 1

    @factory.post_generation
    def areas(self, create: bool, extracted: list[Area] | None, **kwargs: object) -> None:
        if create:
            self.areas.set(extracted if extracted is not None else [area("conference-speaking"), area("open-source")])


class MenteeApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MenteeApplication
        skip_postgeneration_save = True

    batch = factory.SubFactory(BatchFactory)
    member = factory.SubFactory(UserFactory)
    goals = "Give my first conference talk."
    years_experience = 2
    time_zone = "Europe/Paris"
    languages = factory.LazyFunction(lambda: ["en"])
    hours_per_month = 2

    @factory.post_generation
    def areas(self, create: bool, extracted: list[Area] | None, **kwargs: object) -> None:
        if create:
            chosen = extracted if extracted is not None else [area("conference-speaking")]
            for rank, chosen_area in enumerate(chosen, start=1):
                MenteeAreaChoice.objects.create(application=self, area=chosen_area, rank=rank)


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Match

    batch = factory.SubFactory(BatchFactory, status=BatchStatus.PROPOSED)
    mentor_application = factory.SubFactory(MentorApplicationFactory, batch=factory.SelfAttribute("..batch"))
    mentee_application = factory.SubFactory(MenteeApplicationFactory, batch=factory.SelfAttribute("..batch"))
    score = 80.0
    explanation = factory.LazyFunction(lambda: {"summary": "shares Conference speaking (mentee's 1st choice)"})
