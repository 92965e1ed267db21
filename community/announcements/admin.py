from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from community.announcements.enums import AnnouncementStatus
from community.announcements.errors import AnnouncementError
from community.announcements.models import Announcement
from community.announcements.services import repost_announcement


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the announcements job; a builder may only post a failed one again."""

    list_display = ["source", "object_id", "webhook_label", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["key", "text", "webhook_label"]
    date_hierarchy = "created_at"
    actions = ["post_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Announcement | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Announcement | None = None) -> bool:
        return False

    @admin.action(description="Post again (failed or unknown only)", permissions=["view"])
    def post_again(self, request: HttpRequest, queryset: QuerySet[Announcement]) -> None:
        retryable = [AnnouncementStatus.FAILED, AnnouncementStatus.UNKNOWN]
        skipped = queryset.exclude(status__in=retryable).count()
        if skipped:
            self.message_user(
                request,
                f"{skipped} announcement(s) skipped: only failed or unknown ones are posted again.",
                messages.WARNING,
            )
        for announcement in queryset.filter(status__in=retryable):
            try:
                result = repost_announcement(announcement=announcement)
            except AnnouncementError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            if result is not None and result.delivered:
                self.message_user(request, f"Posted to {announcement.webhook_label}.", messages.SUCCESS)
            else:
                announcement.refresh_from_db()
                answer = f"answered {result.status}" if result and result.status else (result.body if result else "")
                now = announcement.get_status_display().lower()
                self.message_user(
                    request, f"{announcement.webhook_label} {answer}; the announcement is now {now}.", messages.WARNING
                )
