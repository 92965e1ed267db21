from django.contrib import admin

from mentorship.models import (
    Batch,
    CheckIn,
    Feedback,
    Match,
    MatchingRun,
    MenteeApplication,
    MenteeAreaChoice,
    MentorApplication,
    PairRule,
)


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "applications_open_at", "applications_close_at", "program_starts_on"]
    list_filter = ["status"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    # Status moves only through the services (and the review screen), never by editing the field.
    readonly_fields = ["status", "published_at", "published_by"]


@admin.register(MentorApplication)
class MentorApplicationAdmin(admin.ModelAdmin):
    list_display = ["member", "batch", "capacity", "time_zone", "years_experience", "withdrawn_at"]
    list_filter = ["batch", "capacity"]
    list_select_related = ["member__profile", "batch"]
    search_fields = ["member__email", "member__profile__display_name"]
    raw_id_fields = ["member"]
    filter_horizontal = ["areas"]


class AreaChoiceInline(admin.TabularInline):
    model = MenteeAreaChoice
    extra = 0


@admin.register(MenteeApplication)
class MenteeApplicationAdmin(admin.ModelAdmin):
    list_display = ["member", "batch", "time_zone", "years_experience", "unmatched_reason", "rematch_requested_at"]
    list_filter = ["batch", "unmatched_reason"]
    list_select_related = ["member__profile", "batch"]
    search_fields = ["member__email", "member__profile__display_name"]
    raw_id_fields = ["member"]
    inlines = [AreaChoiceInline]


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "batch", "status", "score", "pinned"]
    list_filter = ["batch", "status", "pinned"]
    list_select_related = ["batch", "mentor_application__member__profile", "mentee_application__member__profile"]
    raw_id_fields = ["mentor_application", "mentee_application", "decided_by", "ended_by"]


@admin.register(PairRule)
class PairRuleAdmin(admin.ModelAdmin):
    list_display = ["batch", "mentor_application", "mentee_application", "kind", "created_at"]
    list_filter = ["kind", "batch"]
    raw_id_fields = ["mentor_application", "mentee_application", "created_by"]


@admin.register(MatchingRun)
class MatchingRunAdmin(admin.ModelAdmin):
    list_display = ["batch", "started_at", "pairs", "unmatched", "total_score", "duration_ms"]
    list_filter = ["batch"]
    readonly_fields = [f.name for f in MatchingRun._meta.fields]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["match", "member", "asked_at", "met", "answered_at"]
    list_filter = ["met"]
    raw_id_fields = ["match", "member"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["match", "member", "stage", "rating", "created_at"]
    list_filter = ["stage", "rating"]
    raw_id_fields = ["match", "member"]
