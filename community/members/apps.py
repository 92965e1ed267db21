from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MembersConfig(AppConfig):
    name = "community.members"
    label = "members"
    verbose_name = "Members"

    def ready(self) -> None:
        from community.members.signals import sync_site

        post_migrate.connect(sync_site, sender=self, dispatch_uid="members.sync_site")
