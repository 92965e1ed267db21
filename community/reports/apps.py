from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "community.reports"
    label = "reports"
    verbose_name = "Community reports"

    def ready(self) -> None:
        from community.reports import figures

        figures.register_community_sections()
