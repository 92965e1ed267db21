from django.urls import path, re_path

from community.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    re_path(r"^(?P<year>\d{4})-(?P<month>\d{2})/$", views.report_detail, name="detail"),
]
