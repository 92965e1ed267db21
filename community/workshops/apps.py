from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "community.workshops"
    label = "workshops"
    verbose_name = "Workshops"

    def ready(self) -> None:
        from community.calendar.registry import register_event_source
        from community.workshops.calendar import seated_workshop_events

        register_event_source("workshops", seated_workshop_events)
