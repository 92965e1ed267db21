"""Demo workshops: past with a recording, upcoming, and one nearly full with a waitlist. Idempotent."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from community.members.models import Area, User
from community.workshops.enums import RegistrationStatus
from community.workshops.models import Registration, Workshop, WorkshopSpeaker

WORKSHOPS = [
    # slug, title, days from now, hour UTC, minutes, capacity, areas, recording, description
    ("helm-charts-from-scratch", "Helm charts from scratch", -21, 16, 90, 25, ["technical-guidance"],
     "https://video.example.org/wicn/helm-charts-from-scratch",
     "Write a chart for a small web service, template it properly, test it with chart-testing and publish it "
     "to an OCI registry. Bring a laptop with kind and Helm 3 installed."),
    ("your-first-kubernetes-pr", "Your first Kubernetes pull request", -7, 17, 120, 30, ["open-source"],
     "https://video.example.org/wicn/first-kubernetes-pr",
     "Find a good first issue, set up the repository, sign the CLA and walk a change through review together."),
    ("cfp-clinic", "CFP clinic: write an abstract that gets accepted", 5, 15, 60, 12, ["conference-speaking"], "",
     "Bring a draft abstract for KubeCon or your local meetup. We review them in small groups and leave "
     "with a stronger title, a clear outcome and a backup talk idea."),
    ("observability-with-opentelemetry", "Observability with OpenTelemetry", 12, 16, 90, 4, ["technical-guidance"],
     "", "Instrument a Go and a Python service, collect traces with the Collector and find the slow span. "
     "Small group, hands-on: seats are limited."),
    ("leading-without-authority", "Leading without authority", 26, 18, 60, 40, ["leadership"], "",
     "How staff engineers and maintainers move work forward when nobody reports to them: RFCs, "
     "decision records and the art of the follow-up."),
]  # fmt: skip


def _speaker(workshop: Workshop, member: User | None, name: str) -> None:
    if member is not None:
        WorkshopSpeaker.objects.get_or_create(workshop=workshop, profile=member.profile, defaults={"position": 0})
    else:
        WorkshopSpeaker.objects.get_or_create(workshop=workshop, name=name, defaults={"position": 0})


def _register(workshop: Workshop, member: User, status: str, order: int) -> None:
    # Demo rows are written directly (no emails); the live site registers through services.register.
    Registration.objects.get_or_create(
        workshop=workshop,
        member=member,
        status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.ATTENDED],
        defaults={
            "status": status,
            "queued_at": workshop.created_at + timedelta(minutes=order),
            "confirmed_at": workshop.created_at if status != RegistrationStatus.WAITLISTED else None,
        },
    )


@transaction.atomic
def seed(*, members: list[User], builder: User) -> str:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    created = 0
    for index, (slug, title, days, hour, minutes, capacity, areas, recording, description) in enumerate(WORKSHOPS):
        starts_at = (now + timedelta(days=days)).replace(hour=hour)
        workshop, was_created = Workshop.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "description": description,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(minutes=minutes),
                "capacity": capacity,
                "join_url": f"https://meet.example.org/wicn-{slug}",
                "recording_url": recording,
                "recording_added_at": now if recording else None,
            },
        )
        created += was_created
        workshop.areas.add(*Area.objects.filter(slug__in=areas))
        speaker = members[index % len(members)] if members and index % 2 == 0 else None
        _speaker(workshop, speaker, "Dr. Lena Okafor")
        attendees = [m for m in members if m != speaker]
        if slug == "observability-with-opentelemetry":
            # Nearly full: every seat taken and a short waitlist, to show promotion on cancel.
            for order, member in enumerate(attendees[:7]):
                status = RegistrationStatus.CONFIRMED if order < capacity else RegistrationStatus.WAITLISTED
                _register(workshop, member, status, order)
        elif days < 0:
            for order, member in enumerate(attendees[:6]):
                status = RegistrationStatus.ATTENDED if order % 3 else RegistrationStatus.CONFIRMED
                _register(workshop, member, status, order)
        else:
            # The CFP clinic is one seat short of full; the others are filling up.
            seats = capacity - 1 if slug == "cfp-clinic" else capacity // 3
            for order, member in enumerate(attendees[:seats]):
                _register(workshop, member, RegistrationStatus.CONFIRMED, order)
    return f"{len(WORKSHOPS)} workshops ({created} new), {Registration.objects.count()} registrations"
