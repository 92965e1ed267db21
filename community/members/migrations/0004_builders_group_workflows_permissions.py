from django.db import migrations

BUILDERS_GROUP = "Builders"
# The workflow engine's permissions that builders hold (a copy: a migration must not import app code).
WORKFLOWS_PERMISSIONS = {
    "dagrun": ["view_dagrun", "trigger_dagrun"],
    "dagrecord": ["pause_dagrecord"],
    "taskinstance": ["clear_taskinstance", "mark_taskinstance"],
}


def _workflows_permissions(apps):
    """The permissions, created here if need be: Django creates them only after every migration has run."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    permissions = []
    for model_name, codenames in WORKFLOWS_PERMISSIONS.items():
        opts = apps.get_model("workflows", model_name)._meta
        names = {f"view_{opts.model_name}": f"Can view {opts.verbose_name_raw}", **dict(opts.permissions)}
        content_type, _ = ContentType.objects.get_or_create(app_label="workflows", model=opts.model_name)
        for codename in codenames:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": names[codename]}
            )
            permissions.append(permission)
    return permissions


def create_builders_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("members", "User")
    group, _ = Group.objects.get_or_create(name=BUILDERS_GROUP)
    group.permissions.add(*_workflows_permissions(apps))
    group.user_set.add(*User.objects.filter(is_staff=True))


def delete_builders_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=BUILDERS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_profile_slug_unique"),
        ("workflows", "0004_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_builders_group, delete_builders_group),
    ]
