"""Demo data: an open batch with about 10 mentor and 20 mentee applications, ready to close and match.

Idempotent: people are found by email, the batch by slug, applications by (batch, member).
Extra demo applicants are created when the seed members are too few.
"""

from __future__ import annotations

import random
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from community.members.models import Area, Profile, User
from mentorship.enums import BatchStatus, Gender, Region
from mentorship.models import Batch, MenteeApplication, MenteeAreaChoice, MentorApplication

BATCH_SLUG = "demo-spring-cohort"
EXTRA_PEOPLE = [
    ("Divya Iyer", "Asia/Kolkata"),
    ("Lena Vogel", "Europe/Berlin"),
    ("Camila Rojas", "America/Bogota"),
    ("Haruka Sato", "Asia/Tokyo"),
    ("Amara Obi", "Africa/Lagos"),
    ("Sofia Marques", "Europe/Lisbon"),
    ("Hannah Cohen", "America/New_York"),
    ("Mei Chen", "Asia/Singapore"),
    ("Olivia Brown", "Australia/Sydney"),
    ("Fatima Zahra", "Africa/Casablanca"),
    ("Julia Nowak", "Europe/Warsaw"),
    ("Ana Silva", "America/Sao_Paulo"),
    ("Ines Dupont", "Europe/Paris"),
    ("Zoe Martin", "America/Los_Angeles"),
    ("Kemi Adeyemi", "Europe/London"),
    ("Alex Rivera", "America/Mexico_City"),
    ("Nadia Petrova", "Europe/Sofia"),
    ("Sam Taylor", "America/Chicago"),
]
SECOND_LANGUAGE = {"America": "es", "Europe": "fr", "Africa": "fr"}


def _extra_people(*, areas: list[Area], rng: random.Random) -> list[User]:
    people = []
    for n, (name, zone) in enumerate(EXTRA_PEOPLE, start=1):
        email = f"mentorship-demo-{n}@example.org"
        user, created = User.objects.get_or_create(username=f"mentorship-demo-{n}", defaults={"email": email})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        profile, _ = Profile.objects.get_or_create(
            user=user,
            defaults={
                "display_name": name,
                "time_zone": zone,
                "bio": "Demo member of the mentorship program.",
                "code_of_conduct_accepted_at": timezone.now(),
            },
        )
        if not profile.interests.exists():
            # Like every demo member, they show up under the interests the directory filters by.
            profile.interests.set(rng.sample(areas, 2))
        people.append(user)
    return people


def _batch() -> Batch:
    now = timezone.now()
    batch, _ = Batch.objects.get_or_create(
        slug=BATCH_SLUG,
        defaults={
            "name": "Spring cohort (demo)",
            "description": "Twelve weeks of 1:1 mentorship. Apply as a mentor or a mentee; a builder closes the "
            "batch, runs the matching and publishes the pairs.",
            "applications_open_at": now - timedelta(days=7),
            "applications_close_at": now + timedelta(days=21),
            "program_starts_on": (now + timedelta(days=28)).date(),
            "program_ends_on": (now + timedelta(days=28 + 84)).date(),
            "status": BatchStatus.OPEN,
        },
    )
    return batch


def _languages(zone: str, rng: random.Random) -> list[str]:
    spoken = ["en"]
    second = SECOND_LANGUAGE.get(zone.split("/", maxsplit=1)[0])
    if second and rng.random() < 0.4:
        spoken.append(second)
    return spoken


@transaction.atomic
def seed(*, members: list[User], builder: User) -> str:
    rng = random.Random(2026)  # noqa: S311 - demo data must come out the same on every run, not be secret
    areas = list(Area.objects.order_by("position"))
    batch = _batch()
    people = [*members, *_extra_people(areas=areas, rng=rng)]
    mentors, mentees = people[:10], people[10:30]
    for user in mentors:
        zone = user.profile.time_zone
        application, created = MentorApplication.objects.get_or_create(
            batch=batch,
            member=user,
            defaults={
                "years_experience": rng.randint(6, 22),
                "current_role": rng.choice(["Staff engineer", "Engineering manager", "SRE lead", "Maintainer"]),
                "time_zone": zone,
                "languages": _languages(zone, rng),
                "hours_per_month": rng.choice([2, 4, 6]),
                "capacity": rng.randint(1, 2),
                "gender": rng.choice([Gender.WOMAN, Gender.WOMAN, Gender.NON_BINARY, ""]),
            },
        )
        if created:
            application.areas.set(rng.sample(areas, rng.randint(2, 4)))
    for user in mentees:
        zone = user.profile.time_zone
        wants_region = rng.random() < 0.2
        application, created = MenteeApplication.objects.get_or_create(
            batch=batch,
            member=user,
            defaults={
                "goals": rng.choice(
                    [
                        "Give my first conference talk.",
                        "Become a maintainer of the project I contribute to.",
                        "Prepare for a promotion to senior engineer.",
                        "Negotiate my next offer with confidence.",
                        "Lead my team's migration to Kubernetes.",
                    ]
                ),
                "years_experience": rng.randint(0, 6),
                "time_zone": zone,
                "languages": _languages(zone, rng),
                "hours_per_month": rng.choice([1, 2, 3]),
                "preferred_region": Region.EUROPE if wants_region else "",
                "region_required": False,
            },
        )
        if created:
            for rank, area in enumerate(rng.sample(areas, rng.randint(1, 3)), start=1):
                MenteeAreaChoice.objects.create(application=application, area=area, rank=rank)
    return (
        f"batch {batch.name} ({batch.get_status_display().lower()}): "
        f"{MentorApplication.objects.filter(batch=batch).count()} mentor and "
        f"{MenteeApplication.objects.filter(batch=batch).count()} mentee applications"
    )
