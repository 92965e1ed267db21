from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from community.members.validators import validate_time_zone
from mentorship.enums import LANGUAGE_NAMES, Gender, Region, UnmatchedReasonChoice, region_of


class ApplicationBase(models.Model):
    batch = models.ForeignKey("mentorship.Batch", on_delete=models.CASCADE)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    years_experience = models.PositiveSmallIntegerField(validators=[MaxValueValidator(60)])
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    languages = models.JSONField(default=list, help_text='ISO 639-1 codes, e.g. ["en", "es"].')
    hours_per_month = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(40)])
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def language_names(self) -> list[str]:
        return [LANGUAGE_NAMES.get(code, code) for code in self.languages]

    @property
    def region(self) -> str:
        return region_of(self.time_zone)


class MentorApplication(ApplicationBase):
    """A member offering to mentor up to `capacity` mentees in one batch."""

    areas = models.ManyToManyField("members.Area", related_name="mentor_applications")
    current_role = models.CharField(max_length=120)
    capacity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="Mentees you can take (1-5)."
    )
    gender = models.CharField(
        max_length=16,
        choices=Gender.choices,
        blank=True,
        help_text="Optional. Mentees may ask for a mentor of a given gender; leave blank not to say.",
    )
    preferences = models.TextField(blank=True, help_text="Anything the builders should know when pairing you.")

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "member"], name="mentorship_one_mentor_application_per_batch"),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1, capacity__lte=5), name="mentorship_mentor_capacity_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.display_name} (mentor, {self.batch})"


class MenteeApplication(ApplicationBase):
    """A member asking for a mentor in one batch, with the Areas they want ranked."""

    areas = models.ManyToManyField(
        "members.Area", through="mentorship.MenteeAreaChoice", related_name="mentee_applications"
    )
    goals = models.TextField(help_text="What you hope to achieve with your mentor.")
    preferred_gender = models.CharField(max_length=16, choices=Gender.choices, blank=True)
    gender_required = models.BooleanField(
        default=False, help_text="Only match me with a mentor of this gender (otherwise it is a wish)."
    )
    preferred_region = models.CharField(max_length=16, choices=Region.choices, blank=True)
    region_required = models.BooleanField(
        default=False, help_text="Only match me with a mentor from this region (otherwise it is a wish)."
    )
    rematch_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a pair was rejected or ended early: served first next run."
    )
    unmatched_reason = models.CharField(max_length=24, choices=UnmatchedReasonChoice.choices, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "member"], name="mentorship_one_mentee_application_per_batch"),
        ]

    def __str__(self) -> str:
        return f"{self.member.display_name} (mentee, {self.batch})"


class MenteeAreaChoice(models.Model):
    """One Area a mentee wants, with its rank (1 = most wanted)."""

    application = models.ForeignKey(MenteeApplication, on_delete=models.CASCADE, related_name="area_choices")
    area = models.ForeignKey("members.Area", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "area"], name="mentorship_area_ranked_once"),
            models.UniqueConstraint(fields=["application", "rank"], name="mentorship_rank_used_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.area}"
