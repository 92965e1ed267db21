from django.urls import path

from community.members import views

app_name = "members"

urlpatterns = [
    path("", views.home, name="home"),
]
