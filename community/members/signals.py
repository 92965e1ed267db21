"""Keep the sites framework's Site in step with SITE_URL and SITE_NAME, and builders in their group.

allauth names the site in its emails ("Hello from …") and builds links from it; without this the
emails would speak of "example.com".
"""

from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_save
from django.dispatch import receiver


def sync_site(sender: AppConfig, *, using: str = DEFAULT_DB_ALIAS, apps: Any = None, **kwargs: Any) -> None:
    try:
        site_model = apps.get_model("sites", "Site")
    except (AttributeError, LookupError):  # called without a migration state, or sites is not installed
        return
    domain = urlsplit(settings.SITE_URL).netloc or "localhost:8000"
    site_model.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain[:100], "name": settings.SITE_NAME[:50]}
    )


BUILDERS_GROUP = "Builders"
#: The workflow engine's permissions (app label "workflows") that builders hold through their group.
BUILDER_WORKFLOWS_PERMISSIONS = (
    "view_dagrun",
    "trigger_dagrun",
    "pause_dagrecord",
    "clear_taskinstance",
    "mark_taskinstance",
)


def builders_group() -> Group:
    """The Builders group; made again with its permissions if it is gone (a flushed database, say)."""
    group, created = Group.objects.get_or_create(name=BUILDERS_GROUP)
    if created:
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="workflows", codename__in=BUILDER_WORKFLOWS_PERMISSIONS)
        )
    return group


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="members.keep_builders_group")
def keep_builders_group(
    sender: type, instance: Any, created: bool, update_fields: Any = None, raw: bool = False, **kwargs: Any
) -> None:
    """Builders are the staff: a staff user is in the Builders group, anyone else is taken out of it.

    The workflows UI asks for the engine's own permissions, and this group is how builders hold them.
    A save that names its fields without is_staff (a login stamping last_login) cannot change who is a
    builder and costs no query.
    """
    if raw or (update_fields is not None and "is_staff" not in update_fields):
        return
    if instance.is_staff:
        instance.groups.add(builders_group())
    elif not created:
        instance.groups.through.objects.filter(user=instance, group__name=BUILDERS_GROUP).delete()
