import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from community.members.enums import Visibility
from community.members.validators import validate_time_zone


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


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
    pronouns = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    bio = models.TextField(max_length=1000, blank=True)
    location = models.CharField(max_length=120, blank=True)
    github_url = models.URLField(blank=True)
    linkedin_url = models.URLField(blank=True)
    website_url = models.URLField(blank=True)
    interests = models.ManyToManyField("mentorship.Area", blank=True, related_name="interested_profiles")
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
