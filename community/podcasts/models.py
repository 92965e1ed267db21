import uuid
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from community.links import absolute_url
from community.podcasts.enums import EpisodeType, GuestRole, TranscriptFormat
from community.podcasts.validators import transcript_format, validate_chapters, validate_transcript


class EpisodeQuerySet(models.QuerySet["Episode"]):
    def published(self, *, now: datetime | None = None) -> "EpisodeQuerySet":
        """Episodes listeners may hear: a publish time set and already passed."""
        return self.filter(publish_at__lte=now or timezone.now())


class Episode(models.Model):
    """One podcast episode. Its guid is assigned once and never recomputed, so podcast apps never see a duplicate."""

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField(max_length=4000, help_text="Plain text, shown in podcast apps and lists.")
    show_notes = models.TextField(blank=True, help_text="Markdown: links, lists, emphasis.")
    audio_url = models.URLField(
        max_length=500, blank=True, help_text="Where the audio is hosted, if not uploaded here."
    )
    audio_file = models.FileField(upload_to="podcast/audio/", blank=True)
    audio_length = models.PositiveBigIntegerField(help_text="Size of the audio file in bytes.")
    audio_type = models.CharField(max_length=60, help_text="MIME type of the audio, e.g. audio/mpeg.")
    duration = models.DurationField(help_text="Running time, e.g. 00:42:10.")
    image_url = models.URLField(max_length=500, blank=True, help_text="Episode artwork (square, 1400-3000 px).")
    publish_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: draft. In the future: scheduled, hidden until then."
    )
    season = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Episode number within the season.")
    episode_type = models.CharField(max_length=10, choices=EpisodeType.choices, default=EpisodeType.FULL)
    explicit = models.BooleanField(default=False)
    transcript = models.FileField(
        upload_to="podcast/transcripts/", blank=True, validators=[validate_transcript], help_text="WebVTT or SRT."
    )
    chapters = models.JSONField(
        null=True,
        blank=True,
        validators=[validate_chapters],
        help_text='Podcasting 2.0 JSON chapters: {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "…"}]}',
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-pk"]
        indexes = [models.Index(fields=["-publish_at"], name="episode_publish_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(audio_url="") | ~Q(audio_file=""),
                name="episode_has_audio",
                violation_error_message="Give the audio either as a URL or as an uploaded file.",
            ),
            models.CheckConstraint(condition=Q(audio_length__gt=0), name="episode_audio_length_positive"),
            models.UniqueConstraint(
                fields=["season", "number"],
                condition=Q(number__isnull=False),
                name="episode_unique_number_in_season",
                violation_error_message="Another episode already has this number in this season.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("podcasts:episode", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.publish_at is not None and self.publish_at <= timezone.now()

    @property
    def audio_href(self) -> str:
        """The enclosure address: absolute, from the hosting URL or the uploaded file under SITE_URL."""
        if self.audio_url:
            return self.audio_url
        return absolute_url(self.audio_file.url)

    @property
    def transcript_format(self) -> str:
        return transcript_format(self.transcript.name or "") if self.transcript else ""

    @property
    def transcript_mime_type(self) -> str:
        return "text/vtt" if self.transcript_format == TranscriptFormat.VTT else "application/x-subrip"

    @property
    def duration_seconds(self) -> int:
        return int(self.duration.total_seconds())

    @property
    def duration_label(self) -> str:
        minutes = round(self.duration_seconds / 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes} min" if hours else f"{max(minutes, 1)} min"


class EpisodeGuest(models.Model):
    """A person heard in an episode: a member (linked to their profile) or someone from outside (free text)."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="guests")
    profile = models.ForeignKey(
        "members.Profile", on_delete=models.SET_NULL, null=True, blank=True, related_name="podcast_appearances"
    )
    name = models.CharField(max_length=120, blank=True, help_text="For guests who are not members.")
    url = models.URLField(blank=True, help_text="Their website or social profile.")
    role = models.CharField(max_length=20, choices=GuestRole.choices, default=GuestRole.GUEST)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(profile__isnull=False) | ~Q(name=""),
                name="episode_guest_has_identity",
                violation_error_message="Pick a member or type the guest's name.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.profile is not None:
            return self.profile.display_name
        return self.name

    @property
    def link(self) -> str:
        if self.url:
            return self.url
        if self.profile is not None:
            return self.profile.website_url or self.profile.github_url or self.profile.linkedin_url
        return ""
