from django.conf import settings
from django.db import models

from mentorship.enums import FeedbackStage, MatchStatus, PairRuleKind

LIVE_STATUSES = (MatchStatus.PROPOSED, MatchStatus.APPROVED, MatchStatus.ACTIVE, MatchStatus.COMPLETED)
"""A mentee holds at most one match in these statuses per batch (rejected and ended-early free them)."""


class Match(models.Model):
    """A mentor-mentee pair in a batch, from proposal by the engine to the end of the program."""

    batch = models.ForeignKey("mentorship.Batch", on_delete=models.CASCADE, related_name="matches")
    mentor_application = models.ForeignKey(
        "mentorship.MentorApplication", on_delete=models.CASCADE, related_name="matches"
    )
    mentee_application = models.ForeignKey(
        "mentorship.MenteeApplication", on_delete=models.CASCADE, related_name="matches"
    )
    status = models.CharField(max_length=16, choices=MatchStatus.choices, default=MatchStatus.PROPOSED)
    score = models.FloatField(default=0)
    explanation = models.JSONField(default=dict, blank=True)
    pinned = models.BooleanField(default=False)
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-score", "pk"]
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(
                fields=["mentee_application"],
                condition=models.Q(status__in=[s.value for s in LIVE_STATUSES]),
                name="mentorship_one_live_match_per_mentee",
                violation_error_message="This mentee already has a mentor in this batch.",
            ),
        ]
        indexes = [models.Index(fields=["batch", "status"])]

    def __str__(self) -> str:
        return f"{self.mentor_application.member.display_name} → {self.mentee_application.member.display_name}"

    @property
    def mentor(self):
        return self.mentor_application.member

    @property
    def mentee(self):
        return self.mentee_application.member

    @property
    def summary(self) -> str:
        return str(self.explanation.get("summary", ""))

    def side_of(self, user: object) -> str:
        """ "mentor", "mentee" or "" for someone outside the pair."""
        user_id = getattr(user, "pk", None)
        if user_id == self.mentor_application.member_id:
            return "mentor"
        if user_id == self.mentee_application.member_id:
            return "mentee"
        return ""


class PairRule(models.Model):
    """A builder's decision about one pair for the next runs: always match it, or never."""

    batch = models.ForeignKey("mentorship.Batch", on_delete=models.CASCADE, related_name="pair_rules")
    mentor_application = models.ForeignKey("mentorship.MentorApplication", on_delete=models.CASCADE, related_name="+")
    mentee_application = models.ForeignKey("mentorship.MenteeApplication", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=PairRuleKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentor_application", "mentee_application"], name="mentorship_one_rule_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.mentor_application_id} → {self.mentee_application_id}"


class MatchingRun(models.Model):
    """One run of the engine over a batch, from a builder's request to the stored proposals.

    A run is scheduled (waiting for its moment), then running (frozen input, solving, storing,
    telling builders), then succeeded, failed (with the reason) or cancelled before it started.
    At most one run per batch is scheduled or running: the database holds it.
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATES = (State.SCHEDULED, State.RUNNING)

    batch = models.ForeignKey("mentorship.Batch", on_delete=models.CASCADE, related_name="matching_runs")
    state = models.CharField(max_length=16, choices=State.choices, default=State.SCHEDULED)
    dag_run = models.ForeignKey("workflows.DagRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    scheduled_for = models.DateTimeField(
        null=True, blank=True, help_text="The moment the builder chose; empty for a run started at once."
    )
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the input was frozen.")
    stored_at = models.DateTimeField(null=True, blank=True, help_text="When the proposals were stored.")
    finished_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    input = models.JSONField(null=True, blank=True, help_text="The frozen applications, rules and options.")
    output = models.JSONField(null=True, blank=True, help_text="The engine's proposals for the frozen input.")
    duration_ms = models.PositiveIntegerField(default=0)
    mentors = models.PositiveIntegerField(default=0)
    mentees = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    candidate_pairs = models.PositiveIntegerField(default=0)
    total_score = models.FloatField(default=0)
    options = models.JSONField(default=dict, blank=True)
    unmatched_reasons = models.JSONField(default=dict, blank=True, help_text="Count of unmatched mentees per reason.")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        get_latest_by = "requested_at"
        constraints = [
            models.UniqueConstraint(
                fields=["batch"],
                condition=models.Q(state__in=["scheduled", "running"]),
                name="mentorship_one_active_run_per_batch",
                violation_error_message="A matching run is already scheduled or running for this batch.",
            ),
        ]

    def __str__(self) -> str:
        return f"Run of {self.batch} requested {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES


class CheckIn(models.Model):
    """ "Have you met?", asked of each side of a published pair and answered with one click."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="check_ins")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    asked_at = models.DateTimeField(null=True, blank=True)
    met = models.BooleanField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["match", "member"]
        constraints = [models.UniqueConstraint(fields=["match", "member"], name="mentorship_one_check_in_per_side")]

    def __str__(self) -> str:
        return f"Check-in of {self.member_id} on match {self.match_id}"


class Feedback(models.Model):
    """Mid-program or end-of-program feedback from one side of a pair."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="feedback")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=8, choices=FeedbackStage.choices)
    rating = models.PositiveSmallIntegerField(help_text="1 (poor) to 5 (excellent).")
    comments = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["match", "stage", "member"]
        verbose_name_plural = "feedback"
        constraints = [
            models.UniqueConstraint(fields=["match", "member", "stage"], name="mentorship_one_feedback_per_stage"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="mentorship_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} feedback on match {self.match_id}"
