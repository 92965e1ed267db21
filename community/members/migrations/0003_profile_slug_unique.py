from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_profile_slug"),
    ]

    operations = [
        migrations.AlterField(
            model_name="profile",
            name="slug",
            field=models.SlugField(max_length=90, unique=True, editable=False),
        ),
    ]
