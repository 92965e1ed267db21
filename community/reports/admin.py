from django.contrib import admin

from community.reports.models import MonthlyReport


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    list_display = ["month", "updated_at", "run_id", "requested_by", "emailed_at"]
    readonly_fields = ["month", "figures", "created_at", "updated_at", "run_id", "requested_by", "emailed_at"]
    date_hierarchy = "month"

    def has_add_permission(self, request) -> bool:
        return False  # reports come from the job, which computes the figures
