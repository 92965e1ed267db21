from django.apps import AppConfig


class AnnouncementsConfig(AppConfig):
    name = "community.announcements"
    label = "announcements"
    verbose_name = "Announcements"

    def ready(self) -> None:
        from community.announcements import checks  # noqa: F401 - registers the system checks
        from community.announcements.registry import register_source
        from community.announcements.sources import new_episodes, new_workshops

        register_source("workshops", new_workshops)
        register_source("episodes", new_episodes)
