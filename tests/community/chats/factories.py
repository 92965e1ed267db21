"""Factories for coffee chats. A HostFactory host is open every day, 08:00-20:00 in their zone, with no notice."""

from datetime import time, timedelta

import factory
from django.utils import timezone

from community.chats.enums import ChatStatus
from community.chats.models import AvailabilityRule, BlockedDate, CoffeeChat, Host
from tests.factories import UserFactory


class HostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Host
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    intro = "Happy to talk about careers in cloud native."
    topics = "Kubernetes, CFP reviews"
    slot_minutes = 30
    buffer_minutes = 0
    min_notice_hours = 0
    horizon_days = 28
    weekly_cap = 20
    is_active = True

    @factory.post_generation
    def every_day(self, create: bool, extracted: object, **kwargs: object) -> None:
        """Unless every_day=False, available 08:00-20:00 on all seven days."""
        if create and extracted is not False:
            AvailabilityRule.objects.bulk_create(
                AvailabilityRule(host=self, weekday=weekday, start=time(8), end=time(20)) for weekday in range(7)
            )


class AvailabilityRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityRule

    host = factory.SubFactory(HostFactory, every_day=False)
    weekday = 0
    start = time(9)
    end = time(12)


class BlockedDateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlockedDate

    host = factory.SubFactory(HostFactory)
    date = factory.LazyFunction(lambda: timezone.now().date() + timedelta(days=3))


class CoffeeChatFactory(factory.django.DjangoModelFactory):
    """A chat written straight to the database (no rules checked): for states the services would refuse."""

    class Meta:
        model = CoffeeChat

    host = factory.SubFactory(HostFactory)
    guest = factory.SubFactory(UserFactory)
    start = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    )
    end = factory.LazyAttribute(lambda chat: chat.start + timedelta(minutes=30))
    topic = "Preparing a KubeCon talk"
    status = ChatStatus.BOOKED
