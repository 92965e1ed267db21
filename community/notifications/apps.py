from django.apps import AppConfig
from django.core import checks


class NotificationsConfig(AppConfig):
    name = "community.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from community.notifications.checks import check_settings

        checks.register(check_settings)
