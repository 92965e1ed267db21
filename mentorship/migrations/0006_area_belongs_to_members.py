"""Area now lives in community.members (members' 0005_area); mentorship's links point there.

State only: the tables, their columns and their foreign keys stay exactly as they are.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chats", "0003_host_areas_from_members"),
        ("members", "0005_area"),
        ("mentorship", "0005_batch_pairs_emailed_at"),
        ("workshops", "0003_workshop_areas_from_members"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="menteeareachoice",
                    name="area",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="members.area"),
                ),
                migrations.AlterField(
                    model_name="menteeapplication",
                    name="areas",
                    field=models.ManyToManyField(related_name="mentee_applications", through="mentorship.MenteeAreaChoice", to="members.area"),
                ),
                migrations.AlterField(
                    model_name="mentorapplication",
                    name="areas",
                    field=models.ManyToManyField(related_name="mentor_applications", to="members.area"),
                ),
                migrations.DeleteModel(name="Area"),
            ],
            database_operations=[],
        ),
    ]
