from django.db import migrations

DEFAULT_AREAS = [
    ("Technical guidance on projects", "technical-guidance", "Design reviews, debugging, code and architecture advice."),
    ("Contributing to open source", "open-source", "Finding a first issue, working with maintainers, becoming one."),
    ("Leadership and soft skills", "leadership", "Leading teams and projects, communication, influence."),
    ("Salary negotiation", "salary-negotiation", "Knowing your worth and asking for it."),
    ("Career ladder", "career-ladder", "Promotions, growth plans, changing roles or companies."),
    ("Conference speaking", "conference-speaking", "Writing proposals, preparing talks, speaking with confidence."),
]


def add_areas(apps, schema_editor):
    Area = apps.get_model("mentorship", "Area")
    for position, (name, slug, description) in enumerate(DEFAULT_AREAS):
        Area.objects.get_or_create(slug=slug, defaults={"name": name, "description": description, "position": position})


class Migration(migrations.Migration):
    dependencies = [("mentorship", "0001_initial")]

    operations = [migrations.RunPython(add_areas, migrations.RunPython.noop)]
