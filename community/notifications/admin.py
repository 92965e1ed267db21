from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from community.notifications.models import Notification
from community.notifications.services import message_id, retry_notifications


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "kind", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind", "template"]
    search_fields = ["key", "to", "subject"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    readonly_fields = [
        "key",
        "recipient",
        "to",
        "template",
        "kind",
        "subject",
        "body_text",
        "html_preview",
        "attachment_names",
        "status",
        "attempts",
        "last_error",
        "message_id_header",
        "unsubscribe_url",
        "lease_expires_at",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
    ]
    exclude = ["body_html", "attachments", "lease_id"]
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

    @admin.display(description="Message-ID")
    def message_id_header(self, obj: Notification) -> str:
        return message_id(obj)

    @admin.action(description="Send the selected failed or queued emails again now")
    def send_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = retry_notifications(notification_ids=queryset.values_list("pk", flat=True))
        if count:
            self.message_user(
                request,
                f"{count} email(s) will be sent again within a minute, whatever their earlier attempts.",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                "None of the selected emails can be sent again: only failed or queued ones can "
                "(sent ones went out, skipped ones were turned off by the member, sending ones are on their way).",
                messages.WARNING,
            )
