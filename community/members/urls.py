from django.urls import path

from community.members import views

app_name = "members"

urlpatterns = [
    path("", views.home, name="home"),
    path("code-of-conduct/", views.code_of_conduct, name="code_of_conduct"),
    path("profile/", views.profile_edit, name="profile_edit"),
    path("members/", views.directory, name="directory"),
    path("members/<slug:slug>/", views.profile_detail, name="profile"),
]
