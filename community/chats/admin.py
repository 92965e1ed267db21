from django.contrib import admin

from community.chats.models import AvailabilityRule, BlockedDate, CoffeeChat, Host


class AvailabilityRuleInline(admin.TabularInline):
    model = AvailabilityRule
    extra = 0


class BlockedDateInline(admin.TabularInline):
    model = BlockedDate
    extra = 0


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "time_zone", "slot_minutes", "weekly_cap", "is_active", "created_at"]
    list_filter = ["is_active", "slot_minutes", "areas"]
    search_fields = ["user__profile__display_name", "user__email", "topics"]
    list_select_related = ["user__profile"]
    raw_id_fields = ["user"]
    filter_horizontal = ["areas"]
    inlines = [AvailabilityRuleInline, BlockedDateInline]


@admin.register(CoffeeChat)
class CoffeeChatAdmin(admin.ModelAdmin):
    """Builders look chats up and read their history; changes go through the members' own pages."""

    list_display = ["start", "host", "guest", "topic", "status"]
    list_filter = ["status"]
    date_hierarchy = "start"
    search_fields = ["host__user__profile__display_name", "guest__profile__display_name", "guest__email", "topic"]
    list_select_related = ["host__user__profile", "guest__profile"]
    readonly_fields = [
        "host",
        "guest",
        "start",
        "end",
        "status",
        "cancelled_by",
        "cancelled_at",
        "sequence",
        "reminded_24h_for",
        "reminded_1h_for",
        "created_at",
        "updated_at",
    ]
    fields = [*readonly_fields[:5], "topic", "note", "cancel_reason", *readonly_fields[5:]]

    def has_add_permission(self, request: object) -> bool:
        return False
