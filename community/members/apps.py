from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "community.members"
    label = "members"
    verbose_name = "Members"
