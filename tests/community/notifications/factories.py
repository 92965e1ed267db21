import factory

from community.notifications.enums import NotificationStatus
from community.notifications.models import Notification


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    key = factory.Sequence(lambda n: f"test-notice:{n}")
    to = factory.Sequence(lambda n: f"reader{n}@example.org")
    template = "notice"
    subject = "A notice"
    body_text = "Hello\n"
    body_html = "<p>Hello</p>"
    status = NotificationStatus.QUEUED
    next_attempt_at = factory.Faker("past_datetime", tzinfo=__import__("datetime").UTC)
