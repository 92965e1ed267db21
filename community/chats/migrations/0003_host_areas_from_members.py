"""A host's Areas are members' Areas now (members' 0005_area); state only, the link table stays."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chats", "0002_chat_reminder_marks"),
        ("members", "0005_area"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="host",
                    name="areas",
                    field=models.ManyToManyField(blank=True, related_name="chat_hosts", to="members.area"),
                ),
            ],
            database_operations=[],
        ),
    ]
