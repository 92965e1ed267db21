from django.contrib import admin
from django.utils import timezone

from community.podcasts.forms import EpisodeAdminForm
from community.podcasts.models import Episode, EpisodeGuest


class EpisodeGuestInline(admin.TabularInline):
    model = EpisodeGuest
    extra = 1
    raw_id_fields = ["profile"]
    fields = ["profile", "name", "url", "role", "position"]


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    form = EpisodeAdminForm
    inlines = [EpisodeGuestInline]
    list_display = ["title", "season", "number", "episode_type", "publish_at", "state"]
    list_filter = ["episode_type", "season", "explicit"]
    search_fields = ["title", "summary", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "publish_at"
    readonly_fields = ["guid", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "show_notes", "image_url"]}),
        ("Audio", {"fields": ["audio_file", "audio_url", "audio_length", "audio_type", "duration"]}),
        ("Publishing", {"fields": ["publish_at", "season", "number", "episode_type", "explicit"]}),
        ("Transcript and chapters", {"fields": ["transcript", "chapters"]}),
        ("Identity", {"fields": ["guid", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="State")
    def state(self, obj: Episode) -> str:
        if obj.publish_at is None:
            return "Draft"
        return "Published" if obj.publish_at <= timezone.now() else "Scheduled"
