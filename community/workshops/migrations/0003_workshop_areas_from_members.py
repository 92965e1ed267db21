"""A workshop's Areas are members' Areas now (members' 0005_area); state only, the link table stays."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_area"),
        ("workshops", "0002_registration_reminder_marks"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="workshop",
                    name="areas",
                    field=models.ManyToManyField(blank=True, related_name="workshops", to="members.area"),
                ),
            ],
            database_operations=[],
        ),
    ]
