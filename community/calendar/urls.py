from django.urls import path

from community.calendar import views

app_name = "calendar"

urlpatterns = [
    path("", views.calendar_settings, name="settings"),
    path("rotate/", views.rotate, name="rotate"),
    path("<str:token>.ics", views.feed, name="feed"),
]
