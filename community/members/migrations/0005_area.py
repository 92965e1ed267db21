"""The community's interest list (Area) belongs to members from here on; mentorship only uses it.

The model moves in the migration state only: its table keeps its name (mentorship_area) and its rows,
and the profile's link table (members_profile_interests) stays as it is. Neither app's migrations
depend on the other's for it, so on a new database whichever runs first creates the tables; on a
database that predates the move they are already there and nothing is written. Going back leaves
the tables in place, for mentorship's state still reads them.
"""

from django.db import migrations, models


def create_tables_unless_present(apps, schema_editor):
    existing = set(schema_editor.connection.introspection.table_names())
    area = apps.get_model("members", "Area")
    interests = apps.get_model("members", "Profile")._meta.get_field("interests").remote_field.through
    for model in (area, interests):
        if model._meta.db_table not in existing:
            schema_editor.create_model(model)


def relabel_content_type(apps, schema_editor, *, source, target):
    # Permissions and admin history hang on the content type: relabelling keeps them with the model.
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    if not content_types.filter(app_label=target, model="area").exists():
        content_types.filter(app_label=source, model="area").update(app_label=target)


def content_type_to_members(apps, schema_editor):
    relabel_content_type(apps, schema_editor, source="mentorship", target="members")


def content_type_to_mentorship(apps, schema_editor):
    relabel_content_type(apps, schema_editor, source="members", target="mentorship")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("members", "0004_builders_group_workflows_permissions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Area",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=80, unique=True)),
                        ("slug", models.SlugField(max_length=80, unique=True)),
                        ("description", models.TextField(blank=True)),
                        ("position", models.PositiveSmallIntegerField(default=0, help_text="Order in lists; lower comes first.")),
                    ],
                    options={
                        "db_table": "mentorship_area",
                        "ordering": ["position", "name"],
                    },
                ),
                migrations.AddField(
                    model_name="profile",
                    name="interests",
                    field=models.ManyToManyField(blank=True, related_name="interested_profiles", to="members.area"),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(create_tables_unless_present, migrations.RunPython.noop),
        migrations.RunPython(content_type_to_members, content_type_to_mentorship),
    ]
