from django.db import models


class ChatStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"


class ChatOutcome(models.TextChoices):
    """What a host may record once a chat has started."""

    COMPLETED = ChatStatus.COMPLETED.value, "Completed"
    NO_SHOW = ChatStatus.NO_SHOW.value, "No-show"


class SlotLength(models.IntegerChoices):
    MIN_15 = 15, "15 minutes"
    MIN_30 = 30, "30 minutes"
    MIN_45 = 45, "45 minutes"
    MIN_60 = 60, "60 minutes"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"
