from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from community.members.fields import SingleLineFieldsMixin
from community.workshops.enums import SEATED_STATUSES, RegistrationStatus
from community.workshops.models import Registration, Workshop, WorkshopSpeaker
from community.workshops.services import promote_waitlisted


class WorkshopSpeakerForm(SingleLineFieldsMixin, forms.ModelForm):
    single_line_fields = ("name", "affiliation")

    class Meta:
        model = WorkshopSpeaker
        fields = ["profile", "name", "affiliation", "position"]


class WorkshopSpeakerInline(admin.TabularInline):
    model = WorkshopSpeaker
    form = WorkshopSpeakerForm
    extra = 1
    raw_id_fields = ["profile"]
    fields = ["profile", "name", "affiliation", "position"]


class RegistrationInline(admin.TabularInline):
    """Read-only: seats change only through registering, cancelling and promotion, which keep the rules."""

    model = Registration
    extra = 0
    can_delete = False
    fields = ["member", "status", "queued_at", "promoted_at", "cancelled_at", "reminded_24h_for", "reminded_1h_for"]
    readonly_fields = fields
    ordering = ["queued_at", "pk"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Registration]:
        return super().get_queryset(request).select_related("member__profile")


class WorkshopAdminForm(SingleLineFieldsMixin, forms.ModelForm):
    single_line_fields = ("title",)

    class Meta:
        model = Workshop
        fields = "__all__"  # noqa: DJ007 - the admin lays out the fields; this form only adds a check


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    form = WorkshopAdminForm
    inlines = [WorkshopSpeakerInline, RegistrationInline]
    list_display = ["title", "starts_at", "capacity", "confirmed", "waitlisted", "has_recording", "manage_link"]
    list_filter = ["areas"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "starts_at"
    filter_horizontal = ["areas"]
    readonly_fields = ["recording_added_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "description", "areas"]}),
        ("When and where", {"fields": ["starts_at", "ends_at", "location", "join_url", "capacity"]}),
        (
            "After the event",
            {
                "fields": ["recording_url", "recording_added_at"],
                "description": "Publish the recording from the attendance page so registrants are emailed.",
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workshop]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_confirmed=Count("registrations", filter=Q(registrations__status__in=SEATED_STATUSES)),
                n_waitlisted=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
            )
        )

    @admin.display(description="Seats taken", ordering="n_confirmed")
    def confirmed(self, obj: Workshop) -> int:
        return obj.n_confirmed  # type: ignore[attr-defined]

    @admin.display(description="Waitlist", ordering="n_waitlisted")
    def waitlisted(self, obj: Workshop) -> int:
        return obj.n_waitlisted  # type: ignore[attr-defined]

    @admin.display(description="Recording", boolean=True)
    def has_recording(self, obj: Workshop) -> bool:
        return bool(obj.recording_url)

    @admin.display(description="")
    def manage_link(self, obj: Workshop) -> str:
        return format_html('<a href="{}manage/">Attendance and recording</a>', obj.get_absolute_url())

    def save_model(self, request: HttpRequest, obj: Workshop, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            promoted = promote_waitlisted(workshop=obj)
            if promoted:
                self.message_user(
                    request, f"{len(promoted)} waitlisted member(s) got a seat and were emailed.", messages.SUCCESS
                )
