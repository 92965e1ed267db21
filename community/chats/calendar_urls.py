from django.urls import path

from community.chats import calendar_views

app_name = "calendar"

urlpatterns = [
    path("", calendar_views.calendar_settings, name="settings"),
    path("rotate/", calendar_views.rotate, name="rotate"),
    path("<str:token>.ics", calendar_views.feed, name="feed"),
]
