from django.apps import AppConfig


class PodcastsConfig(AppConfig):
    name = "community.podcasts"
    label = "podcasts"
    verbose_name = "Podcast"
