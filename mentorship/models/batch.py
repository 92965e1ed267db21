from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from mentorship.enums import BatchStatus

TRANSITIONS: dict[str, tuple[str, ...]] = {
    BatchStatus.DRAFT: (BatchStatus.OPEN,),
    BatchStatus.OPEN: (BatchStatus.CLOSED,),
    BatchStatus.CLOSED: (BatchStatus.MATCHING,),
    BatchStatus.MATCHING: (BatchStatus.PROPOSED,),
    BatchStatus.PROPOSED: (BatchStatus.PUBLISHED,),
    BatchStatus.PUBLISHED: (BatchStatus.ACTIVE,),
    BatchStatus.ACTIVE: (BatchStatus.COMPLETED,),
    BatchStatus.COMPLETED: (),
}
"""The only moves a batch can make: forward, one step at a time."""


class Batch(models.Model):
    """A cohort: members apply during the window, builders match, publish and follow the pairs."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    applications_open_at = models.DateTimeField()
    applications_close_at = models.DateTimeField()
    program_starts_on = models.DateField()
    program_ends_on = models.DateField()
    status = models.CharField(max_length=16, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    pairs_emailed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the emails to the pairs and the waiting list were queued, after publishing.",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-program_starts_on", "name"]
        verbose_name_plural = "batches"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(applications_close_at__gt=models.F("applications_open_at")),
                name="mentorship_batch_window_order",
                violation_error_message="Applications must close after they open.",
            ),
            models.CheckConstraint(
                condition=models.Q(program_ends_on__gt=models.F("program_starts_on")),
                name="mentorship_batch_program_order",
                violation_error_message="The program must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("mentorship:batch", kwargs={"slug": self.slug})

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return TRANSITIONS[self.status]

    @property
    def accepts_applications(self) -> bool:
        """Open, and (when the window is set) within it."""
        now = timezone.now()
        return self.status == BatchStatus.OPEN and now < self.applications_close_at

    @property
    def is_matching_phase(self) -> bool:
        return self.status in {BatchStatus.CLOSED, BatchStatus.MATCHING, BatchStatus.PROPOSED}
