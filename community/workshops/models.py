from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from community.workshops.enums import ACTIVE_STATUSES, SEATED_STATUSES, RegistrationStatus


class Workshop(models.Model):
    """A live session members register for. The join link is only ever shown to confirmed registrants."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(help_text="What participants learn and what to prepare. Plain text.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(help_text="Seats; further registrations join the waitlist.")
    join_url = models.URLField(max_length=500, help_text="Video call link, sent only to confirmed registrants.")
    location = models.CharField(max_length=200, blank=True, help_text="Optional place, for in-person sessions.")
    areas = models.ManyToManyField("members.Area", blank=True, related_name="workshops")
    recording_url = models.URLField(max_length=500, blank=True)
    recording_added_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["starts_at"]), models.Index(fields=["ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="workshop_ends_after_start",
                violation_error_message="The workshop must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="workshop_capacity_positive",
                violation_error_message="A workshop needs at least one seat.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("workshops:detail", kwargs={"slug": self.slug})

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def seats_left(self) -> int:
        # Listing queries annotate seats_taken; a bare instance counts on demand.
        taken = getattr(self, "seats_taken", None)
        if taken is None:
            taken = self.registrations.filter(status__in=SEATED_STATUSES).count()
        return max(self.capacity - taken, 0)


class WorkshopSpeaker(models.Model):
    """Who leads a workshop: a member (linked to their profile) or a guest speaker (free text)."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="speakers")
    profile = models.ForeignKey(
        "members.Profile", on_delete=models.SET_NULL, null=True, blank=True, related_name="workshops_led"
    )
    name = models.CharField(max_length=120, blank=True, help_text="For speakers who are not members.")
    affiliation = models.CharField(max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(profile__isnull=False) | ~Q(name=""),
                name="workshop_speaker_has_identity",
                violation_error_message="Pick a member or type the speaker's name.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.profile.display_name if self.profile is not None else self.name


class Registration(models.Model):
    """A member's place at a workshop: a seat, or a place in the FIFO waitlist (ordered by queued_at, then id)."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="registrations")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registrations")
    status = models.CharField(max_length=16, choices=RegistrationStatus.choices)
    queued_at = models.DateTimeField(default=timezone.now, help_text="Arrival time; decides the waitlist order.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True, help_text="When a seat came free for them.")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The workshop start each reminder was sent for: a moved workshop no longer matches, so it is reminded again.
    reminded_24h_for = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Start time the 24-hour reminder was sent for."
    )
    reminded_1h_for = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Start time the 1-hour reminder was sent for."
    )

    class Meta:
        ordering = ["queued_at", "pk"]
        indexes = [models.Index(fields=["workshop", "status", "queued_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "member"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="registration_one_active_per_member",
                violation_error_message="You are already registered for this workshop.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.workshop} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def has_seat(self) -> bool:
        return self.status in SEATED_STATUSES
