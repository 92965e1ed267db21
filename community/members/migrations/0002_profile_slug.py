from django.db import migrations, models
from django.utils.text import slugify


def fill_slugs(apps, schema_editor):
    Profile = apps.get_model("members", "Profile")
    taken: set[str] = set()
    for profile in Profile.objects.order_by("pk"):
        base = slugify(profile.display_name)[:82].strip("-") or "member"
        slug, number = base, 2
        while slug in taken:
            slug = f"{base}-{number}"
            number += 1
        taken.add(slug)
        profile.slug = slug
        profile.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="slug",
            # No index yet: the unique index comes in the next migration, once every row has its slug.
            field=models.SlugField(max_length=90, null=True, editable=False, db_index=False),
        ),
        migrations.RunPython(fill_slugs, migrations.RunPython.noop),
    ]
