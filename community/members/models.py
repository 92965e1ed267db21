import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils.text import slugify

from community.members.enums import Visibility
from community.members.validators import validate_time_zone


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


SLUG_MAX_LENGTH = 90
# Paths under /members/ that a profile slug must never shadow.
RESERVED_SLUGS = frozenset({"page", "search", "new", "edit", "me"})


class Area(models.Model):
    """One of the community's interests, and a field of mentorship: e.g. "Conference speaking"."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in lists; lower comes first.")

    class Meta:
        ordering = ["position", "name"]
        # The table keeps the name it had while mentorship owned the list, so the move carried no data.
        db_table = "mentorship_area"

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """An account. Sign-in is by email (allauth); the username is internal only."""

    @property
    def is_builder(self) -> bool:
        """Builders run the community: they are staff and reach the admin and the workflows UI."""
        return self.is_active and self.is_staff

    @property
    def display_name(self) -> str:
        profile = getattr(self, "profile", None)
        if profile and profile.display_name:
            return profile.display_name
        return self.get_full_name() or self.username


class Profile(models.Model):
    """What a member shows the community. Their email address is never part of it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=80)
    # The public address of the profile (/members/<slug>/). Chosen once from the display name and then
    # kept, so that links shared earlier keep working after a rename; never derived from the email.
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True, editable=False)
    pronouns = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    bio = models.TextField(max_length=1000, blank=True)
    location = models.CharField(max_length=120, blank=True)
    github_url = models.URLField(blank=True)
    linkedin_url = models.URLField(blank=True)
    website_url = models.URLField(blank=True)
    interests = models.ManyToManyField("members.Area", blank=True, related_name="interested_profiles")
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.MEMBERS)
    code_of_conduct_accepted_at = models.DateTimeField(null=True, blank=True)
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        indexes = [models.Index(fields=["visibility", "display_name"])]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: object, **kwargs: object) -> None:
        if self.slug:
            super().save(*args, **kwargs)  # type: ignore[arg-type]
            return
        # Two members with the same name may sign up at the same moment: the unique index decides,
        # and the loser takes the next free suffix.
        for attempt in range(10):
            self.slug = self._free_slug(salt=attempt)
            try:
                with transaction.atomic():
                    super().save(*args, **kwargs)  # type: ignore[arg-type]
            except IntegrityError:
                if not Profile.objects.filter(slug=self.slug).exclude(pk=self.pk).exists():
                    raise
                self.slug = ""
                continue
            return
        raise IntegrityError("Could not find a free profile address.")

    def get_absolute_url(self) -> str:
        return reverse("members:profile", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    def _free_slug(self, *, salt: int) -> str:
        base = slugify(self.display_name)[: SLUG_MAX_LENGTH - 8].strip("-") or "member"
        if base in RESERVED_SLUGS:
            base = f"{base}-member"
        if salt:
            base = f"{base}-{secrets.token_hex(2)}"
        taken = set(Profile.objects.filter(slug__startswith=base).exclude(pk=self.pk).values_list("slug", flat=True))
        if base not in taken:
            return base
        number = 2
        while f"{base}-{number}" in taken:
            number += 1
        return f"{base}-{number}"
