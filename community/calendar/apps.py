from django.apps import AppConfig


class CalendarConfig(AppConfig):
    name = "community.calendar"
    label = "calendar"
    verbose_name = "Personal calendar"
