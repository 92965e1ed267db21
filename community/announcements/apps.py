from django.apps import AppConfig


class AnnouncementsConfig(AppConfig):
    name = "community.announcements"
    label = "announcements"
    verbose_name = "Announcements"
