from datetime import timedelta

import factory
from django.utils import timezone

from community.workshops.enums import RegistrationStatus
from community.workshops.models import Registration, Workshop, WorkshopSpeaker
from tests.factories import UserFactory


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workshop

    title = factory.Sequence(lambda n: f"Helm charts from scratch {n}")
    slug = factory.Sequence(lambda n: f"helm-charts-{n}")
    description = "Write, test and publish a Helm chart. Bring a laptop with kind installed."
    starts_at = factory.LazyFunction(lambda: (timezone.now() + timedelta(days=7)).replace(microsecond=0))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=90))
    capacity = 20
    join_url = factory.Sequence(lambda n: f"https://meet.example.org/helm-{n}")


class WorkshopSpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkshopSpeaker

    workshop = factory.SubFactory(WorkshopFactory)
    name = factory.Faker("name")


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    workshop = factory.SubFactory(WorkshopFactory)
    member = factory.SubFactory(UserFactory)
    status = RegistrationStatus.CONFIRMED
