from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from community.members.models import Area, Profile, User


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fk_name = "user"
    fields = [
        "display_name",
        "slug",
        "pronouns",
        "time_zone",
        "visibility",
        "bio",
        "location",
        ("github_url", "linkedin_url", "website_url"),
        "interests",
        "code_of_conduct_accepted_at",
    ]
    readonly_fields = ["slug", "code_of_conduct_accepted_at"]
    filter_horizontal = ["interests"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = ["email", "profile_name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "profile__visibility"]
    search_fields = ["email", "username", "first_name", "last_name", "profile__display_name"]
    ordering = ["-date_joined"]
    list_select_related = ["profile"]

    @admin.display(description="Display name", ordering="profile__display_name")
    def profile_name(self, user: User) -> str:
        profile = getattr(user, "profile", None)
        return profile.display_name if profile else "—"


class CodeOfConductFilter(admin.SimpleListFilter):
    title = "code of conduct"
    parameter_name = "conduct"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        return [("accepted", "Accepted"), ("missing", "Not accepted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Profile]) -> QuerySet[Profile]:
        if self.value() == "accepted":
            return queryset.filter(code_of_conduct_accepted_at__isnull=False)
        if self.value() == "missing":
            return queryset.filter(code_of_conduct_accepted_at__isnull=True)
        return queryset


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "display_name",
        "user_email",
        "pronouns",
        "time_zone",
        "visibility",
        "accepted_conduct",
        "created_at",
    ]
    list_filter = ["visibility", CodeOfConductFilter, "interests", "user__is_staff"]
    search_fields = ["display_name", "slug", "user__email", "location", "bio"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["interests"]
    readonly_fields = ["slug", "calendar_token", "code_of_conduct_accepted_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"

    @admin.display(description="Email", ordering="user__email")
    def user_email(self, profile: Profile) -> str:
        return profile.user.email

    @admin.display(description="Code of conduct", boolean=True, ordering="code_of_conduct_accepted_at")
    def accepted_conduct(self, profile: Profile) -> bool:
        return profile.code_of_conduct_accepted_at is not None
