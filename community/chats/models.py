from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q

from community.availability import Schedule, WeeklyRule
from community.chats.constraints import PostgresExclusionConstraint
from community.chats.enums import ChatStatus, SlotLength, Weekday
from community.members.zones import member_zone


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Host(models.Model):
    """A member who offers coffee chats. Their time zone is their profile's."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_host")
    areas = models.ManyToManyField("members.Area", blank=True, related_name="chat_hosts")
    topics = models.CharField(
        max_length=200,
        blank=True,
        help_text="Other topics, separated by commas (e.g. Kubernetes operators, CFP review).",
    )
    intro = models.TextField(max_length=1000, blank=True, help_text="What guests can expect from a chat with you.")
    slot_minutes = models.PositiveSmallIntegerField(choices=SlotLength.choices, default=SlotLength.MIN_30)
    buffer_minutes = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(120)], help_text="Free time kept before and after every chat."
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MaxValueValidator(24 * 14)], help_text="How long before a chat it must be booked."
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=28,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="How far ahead guests may book.",
    )
    weekly_cap = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(40)],
        help_text="At most this many chats per week (your local Monday to Sunday).",
    )
    is_active = models.BooleanField(default=True, help_text="Untick to pause new bookings; booked chats stay.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__profile__display_name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__in=SlotLength.values), name="chats_host_slot_length"),
            models.CheckConstraint(condition=Q(weekly_cap__gte=1), name="chats_host_weekly_cap_positive"),
            models.CheckConstraint(condition=Q(horizon_days__gte=1), name="chats_host_horizon_positive"),
        ]

    def __str__(self) -> str:
        return self.user.display_name

    @property
    def time_zone(self) -> str:
        return self.zone.key

    @property
    def zone(self) -> ZoneInfo:
        return member_zone(self.user)

    @property
    def topic_list(self) -> list[str]:
        return [topic.strip() for topic in self.topics.split(",") if topic.strip()]

    def schedule(self) -> Schedule:
        """The pure description of this host's availability. Uses prefetched rules and blocked dates when present."""
        return Schedule(
            time_zone=self.time_zone,
            rules=[WeeklyRule(rule.weekday, rule.start, rule.end) for rule in self.rules.all()],
            slot_minutes=self.slot_minutes,
            buffer_minutes=self.buffer_minutes,
            min_notice=timedelta(hours=self.min_notice_hours),
            horizon=timedelta(days=self.horizon_days),
            weekly_cap=self.weekly_cap,
            blocked_dates=frozenset(blocked.date for blocked in self.blocked_dates.all()),
        )


class AvailabilityRule(models.Model):
    """Every `weekday`, the host is available from `start` to `end`, wall time in the host's zone."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="rules")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="chats_rule_end_after_start"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="chats_rule_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class BlockedDate(models.Model):
    """A day (in the host's own calendar) on which the host takes no chats."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="blocked_dates")
    date = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["host", "date"], name="chats_blocked_date_unique")]

    def __str__(self) -> str:
        return f"{self.host} off on {self.date}"


class CoffeeChat(models.Model):
    """One booked slot between a host and a guest. Times are stored in UTC."""

    host = models.ForeignKey(Host, on_delete=models.PROTECT, related_name="chats")
    guest = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coffee_chats")
    start = models.DateTimeField()
    end = models.DateTimeField()
    topic = models.CharField(max_length=200)
    note = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=16, choices=ChatStatus.choices, default=ChatStatus.BOOKED)
    cancel_reason = models.TextField(max_length=1000, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The iCalendar SEQUENCE: bumped on every change the invite must announce (reschedule, cancel).
    sequence = models.PositiveIntegerField(default=0)
    # The start each reminder was sent for: a rescheduled chat no longer matches, so it is reminded at its new time.
    reminded_24h_for = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Start time the 24-hour reminder was sent for."
    )
    reminded_1h_for = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Start time the 1-hour reminder was sent for."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [
            models.Index(fields=["host", "start"], name="chats_chat_host_start"),
            models.Index(fields=["guest", "status", "start"], name="chats_chat_guest_status_start"),
            models.Index(fields=["status", "start"], name="chats_chat_status_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="chats_chat_end_after_start"),
            # Portable guarantee (SQLite included): one booked chat per host and start time.
            models.UniqueConstraint(
                fields=["host", "start"], condition=Q(status=ChatStatus.BOOKED), name="chats_chat_one_booking_per_slot"
            ),
            # On PostgreSQL, booked chats of one host may not overlap at all.
            PostgresExclusionConstraint(
                name="chats_chat_no_overlap",
                expressions=[
                    ("host", RangeOperators.EQUAL),
                    (TsTzRange("start", "end", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(status=ChatStatus.BOOKED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guest} with {self.host} at {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def is_booked(self) -> bool:
        return self.status == ChatStatus.BOOKED

    def involves(self, user: object) -> bool:
        return getattr(user, "pk", None) in {self.guest_id, self.host.user_id}
