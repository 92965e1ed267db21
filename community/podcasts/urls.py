from django.urls import path

from community.podcasts import views

app_name = "podcasts"

urlpatterns = [
    path("", views.episode_list, name="list"),
    path("feed.xml", views.feed, name="feed"),
    path("<slug:slug>/", views.episode_detail, name="episode"),
    path("<slug:slug>/chapters.json", views.episode_chapters, name="chapters"),
    path("<slug:slug>/transcript", views.episode_transcript, name="transcript"),
]
