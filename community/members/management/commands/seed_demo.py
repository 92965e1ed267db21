"""Fill the site with a believable demo community; running it again changes nothing."""

import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from community.members.demo_members import BUILDER_EMAIL, BUILDER_PASSWORD, MEMBER_PASSWORD, seed_members


def _has_demo_module(app_module: str) -> bool:
    try:
        return importlib.util.find_spec(f"{app_module}.demo") is not None
    except ModuleNotFoundError:
        return False


class Command(BaseCommand):
    help = "Create demo members, a builder account and each app's demo data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        builder, members = seed_members()
        self.stdout.write(
            f"members: {len(members)} members and 1 builder "
            f"(log in as {BUILDER_EMAIL} / {BUILDER_PASSWORD}; members such as {members[0].email} / {MEMBER_PASSWORD})"
        )
        failed: list[str] = []
        for app_config in apps.get_app_configs():
            if not _has_demo_module(app_config.name):
                continue
            module = importlib.import_module(f"{app_config.name}.demo")
            try:
                # Each app's demo commits or rolls back on its own, so a failure leaves no half-made data.
                with transaction.atomic():
                    summary = module.seed(members=members, builder=builder)
            except Exception as error:  # noqa: BLE001 - one app's broken demo must not hide the others'
                failed.append(app_config.label)
                self.stderr.write(f"{app_config.label}: demo data failed: {type(error).__name__}: {error}")
                continue
            self.stdout.write(f"{app_config.label}: {summary}")
        if failed:
            raise CommandError(f"Demo data failed for: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS("Demo community ready."))
