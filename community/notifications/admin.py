from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from community.notifications.enums import NotificationStatus
from community.notifications.models import Notification
from community.notifications.services import retry_notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "template", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["key", "to", "subject"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    readonly_fields = [
        "key",
        "recipient",
        "to",
        "template",
        "subject",
        "body_text",
        "html_preview",
        "attachment_names",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
    ]
    exclude = ["body_html", "attachments"]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Emails are queued by the platform's own actions, never typed in by hand.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    @admin.display(description="HTML body")
    def html_preview(self, obj: Notification) -> str:
        return format_html(
            '<iframe sandbox="" srcdoc="{}" style="width:100%;height:28rem;border:1px solid #ccc"></iframe>',
            obj.body_html,
        )

    @admin.display(description="Attachments")
    def attachment_names(self, obj: Notification) -> str:
        return ", ".join(item["filename"] for item in obj.attachments) or "—"

    @admin.action(description="Send the selected failed or queued emails again now")
    def send_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        sent = 0
        for notification in queryset.exclude(status=NotificationStatus.SENT):
            sent += retry_notification(notification=notification)
        self.message_user(request, f"{sent} email(s) sent.", messages.SUCCESS if sent else messages.WARNING)
