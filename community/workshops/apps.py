from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "community.workshops"
    label = "workshops"
    verbose_name = "Workshops"
