from django.urls import path

from community.workshops import views

app_name = "workshops"

urlpatterns = [
    path("", views.workshop_list, name="list"),
    path("calendar.ics", views.calendar_feed, name="calendar"),
    path("<slug:slug>/", views.workshop_detail, name="detail"),
    path("<slug:slug>/register/", views.register, name="register"),
    path("<slug:slug>/cancel/", views.cancel, name="cancel"),
    path("<slug:slug>/calendar.ics", views.workshop_ics_download, name="ics"),
    path("<slug:slug>/manage/", views.manage, name="manage"),
]
