"""Reminder emails at scale, and publishing a mentorship batch from the builders' review page.

    python -m benchmarks.reminders [--registrations 10000] [--workshops 20] [--pairs 500]

Reminders: that many confirmed registrations at workshops starting within the next hour, members spread
over many time zones. Timed: the workshop reminder job (selection, rendering each email in the
recipient's zone, queuing) and then delivery of the whole outbox to Django's in-memory email backend,
with the peak memory the process reached meanwhile. The job then runs again over the same window,
which must send nothing.

Publishing: a batch with that many approved pairs is published by a builder through the review page
(Django test client, POST to mentorship:publish); the request time, the emails it queued and sent
(none: it asks for the publication emails job), then the time that job takes to queue them all.

Never writes into the configured database: with DATABASE_URL naming a PostgreSQL database, it
creates a dedicated one on the same server (`<name>_bench`, dropped again at the end); otherwise it
uses a fresh SQLite file in a temporary directory.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
from datetime import timedelta
from pathlib import Path

from benchmarks._database import drop_bench_database, use_bench_database

ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "Europe/Lisbon",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
]


use_bench_database("reminders")

import django  # noqa: E402 - settings must see the environment above

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from community.members.models import Profile, User  # noqa: E402
from community.notifications.models import Notification  # noqa: E402
from community.notifications.services import deliver_pending  # noqa: E402
from community.workshops.enums import RegistrationStatus  # noqa: E402
from community.workshops.models import Registration, Workshop  # noqa: E402
from community.workshops.reminders import send_workshop_reminders  # noqa: E402
from mentorship.enums import BatchStatus, MatchStatus  # noqa: E402
from mentorship.models import Batch, Match, MenteeApplication, MentorApplication  # noqa: E402
from mentorship.services import queue_publication_emails  # noqa: E402
from mentorship.services.review import PUBLICATION_EMAILS_DAG_ID  # noqa: E402
from workflows.dagbag import get_dagbag  # noqa: E402
from workflows.models import DagRun  # noqa: E402

BULK = 1000


def _database() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        where = f"{db.get('HOST') or 'local socket'}:{db.get('PORT') or 5432}"
        return f"postgresql database {db['NAME']!r} on {where}, created for this benchmark and dropped after it"
    return f"sqlite file {db['NAME']} (temporary)"


def _members(prefix: str, count: int) -> list[User]:
    """`count` members with profiles, their zones taken in turn from ZONES."""
    password = make_password(None)
    User.objects.bulk_create(
        (User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org", password=password) for i in range(count)),
        batch_size=BULK,
    )
    users = list(User.objects.filter(username__startswith=prefix).order_by("pk"))
    Profile.objects.bulk_create(
        (
            Profile(
                user=user, display_name=f"Member {user.pk}", slug=f"{prefix}-{user.pk}", time_zone=ZONES[i % len(ZONES)]
            )
            for i, user in enumerate(users)
        ),
        batch_size=BULK,
    )
    return users


def _reminders_due(registrations: int, workshops: int) -> None:
    """Workshops starting across the coming hour, each with its share of the confirmed registrations."""
    now = timezone.now()
    created = Workshop.objects.bulk_create(
        Workshop(
            title=f"Workshop {i}",
            slug=f"bench-workshop-{i}",
            description="Hands-on session; bring a laptop.",
            starts_at=now + timedelta(minutes=5 + 50 * i / workshops),
            ends_at=now + timedelta(minutes=95 + 50 * i / workshops),
            capacity=registrations,
            join_url=f"https://meet.example.org/bench-{i}",
        )
        for i in range(workshops)
    )
    members = _members("attendee", registrations)
    Registration.objects.bulk_create(
        (
            Registration(
                workshop=created[i % workshops], member=member, status=RegistrationStatus.CONFIRMED, confirmed_at=now
            )
            for i, member in enumerate(members)
        ),
        batch_size=BULK,
    )


def _reset_peak_rss() -> bool:
    """Start measuring the peak RSS afresh (Linux: clear_refs 5 resets VmHWM); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _deliver_all(batch: int) -> int:
    """Deliver the whole outbox, emptying the in-memory mailbox as it goes; return how many emails went out."""
    sent = 0
    while deliver_pending(limit=batch):
        sent += len(mail.outbox)
        mail.outbox.clear()
    sent += len(mail.outbox)
    mail.outbox.clear()
    return sent


def bench_reminders(registrations: int, workshops: int, deliver_batch: int) -> dict[str, float]:
    _reminders_due(registrations, workshops)
    gc.collect()
    rss_before = _status_kib("VmRSS")
    precise = _reset_peak_rss()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    started = time.perf_counter()
    counts = send_workshop_reminders()
    queued_at = time.perf_counter()
    sent = _deliver_all(deliver_batch)
    finished = time.perf_counter()

    if precise:
        peak_kib = _status_kib("VmHWM") - rss_before
    else:
        peak_kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss_before, 0)

    rerun = send_workshop_reminders()
    rerun_sent = _deliver_all(deliver_batch)
    return {
        "queued": counts["1h"] + counts["24h"],
        "queue_seconds": queued_at - started,
        "deliver_seconds": finished - queued_at,
        "seconds": finished - started,
        "sent": sent,
        "peak_mib": peak_kib / 1024,
        "peak_precise": precise,
        "rerun_queued": rerun["1h"] + rerun["24h"],
        "rerun_sent": rerun_sent,
    }


def _approved_pairs(pairs: int) -> Batch:
    today = timezone.localdate()
    batch = Batch.objects.create(
        name="Benchmark cohort",
        slug="benchmark-cohort",
        applications_open_at=timezone.now() - timedelta(days=30),
        applications_close_at=timezone.now() - timedelta(days=10),
        program_starts_on=today + timedelta(days=7),
        program_ends_on=today + timedelta(days=97),
        status=BatchStatus.PROPOSED,
    )
    mentors = MentorApplication.objects.bulk_create(
        (
            MentorApplication(
                batch=batch,
                member=member,
                years_experience=12,
                current_role="Staff engineer",
                time_zone=member.profile.time_zone,
                languages=["en"],
                hours_per_month=4,
                capacity=1,
            )
            for member in User.objects.filter(username__startswith="mentor").select_related("profile")
        ),
        batch_size=BULK,
    )
    mentees = MenteeApplication.objects.bulk_create(
        (
            MenteeApplication(
                batch=batch,
                member=member,
                goals="Give my first conference talk.",
                years_experience=2,
                time_zone=member.profile.time_zone,
                languages=["en"],
                hours_per_month=2,
            )
            for member in User.objects.filter(username__startswith="mentee").select_related("profile")
        ),
        batch_size=BULK,
    )
    Match.objects.bulk_create(
        (
            Match(
                batch=batch,
                mentor_application=mentor,
                mentee_application=mentee,
                status=MatchStatus.APPROVED,
                score=80.0,
                explanation={"summary": "shares Conference speaking (mentee's 1st choice)"},
                decided_at=timezone.now(),
            )
            for mentor, mentee in zip(mentors, mentees, strict=True)
        ),
        batch_size=BULK,
    )
    return batch


def bench_publish(pairs: int) -> dict[str, float]:
    _members("mentor", pairs)
    _members("mentee", pairs)
    batch = _approved_pairs(pairs)
    builder = User.objects.create(username="builder", email="builder@example.org", is_staff=True)
    Profile.objects.create(user=builder, display_name="Bea Builder", time_zone="Europe/Berlin")
    client = Client()
    client.force_login(builder)
    mail.outbox.clear()
    queued_before = Notification.objects.count()
    # A web process loads the DAGs once, at the first request that asks for a run; this one is warm.
    get_dagbag()

    started = time.perf_counter()
    response = client.post(reverse("mentorship:publish", kwargs={"slug": batch.slug}))
    elapsed = time.perf_counter() - started
    queued_in_request = Notification.objects.count() - queued_before
    sent_in_request = len(mail.outbox)
    requested_runs = DagRun.objects.filter(dag__dag_id=PUBLICATION_EMAILS_DAG_ID, state="queued").count()

    job_started = time.perf_counter()
    queued_by_job = queue_publication_emails()
    job_seconds = time.perf_counter() - job_started

    if response.status_code >= 400:
        raise SystemExit(f"publishing answered {response.status_code}")
    batch.refresh_from_db()
    if batch.status != BatchStatus.PUBLISHED:
        raise SystemExit(f"the batch is {batch.status} after publishing, not published")
    return {
        "ms": elapsed * 1000,
        "queued": queued_in_request,
        "sent": sent_in_request,
        "requested_runs": requested_runs,
        "job_queued": queued_by_job,
        "job_seconds": job_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--registrations", type=int, default=10_000, help="due reminders (one per registration)")
    parser.add_argument("--workshops", type=int, default=20, help="workshops the registrations are spread over")
    parser.add_argument("--deliver-batch", type=int, default=1000, help="limit passed to deliver_pending")
    parser.add_argument("--pairs", type=int, default=500, help="approved mentorship pairs to publish")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    # Django's in-memory backend does the work of a real one (builds each MIME message) without a network.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(f"database: {_database()}; email backend: {settings.EMAIL_BACKEND}")

    size = args.registrations
    reminders = bench_reminders(size, args.workshops, args.deliver_batch)
    peak_how = "peak RSS growth (VmHWM)" if reminders["peak_precise"] else "max RSS growth (getrusage)"
    print(f"workshop reminders, {size} confirmed registrations at {args.workshops} workshops in the next hour:")
    print(f"  selected, rendered and queued {reminders['queued']:.0f} in {reminders['queue_seconds']:.2f} s")
    print(f"  delivered {reminders['sent']:.0f} emails in {reminders['deliver_seconds']:.2f} s")
    print(f"  {peak_how}: {reminders['peak_mib']:.1f} MiB")
    print(
        f"  second run over the same window: {reminders['rerun_queued']:.0f} queued, {reminders['rerun_sent']:.0f} sent"
    )

    publish = bench_publish(args.pairs)
    print(f"publishing a batch of {args.pairs} approved pairs through the review page:")
    queued, sent = publish["queued"], publish["sent"]
    print(f"  request took {publish['ms']:.0f} ms; {queued:.0f} emails queued, {sent:.0f} sent during it")
    print(f"  it asked for {publish['requested_runs']:.0f} run(s) of {PUBLICATION_EMAILS_DAG_ID}")
    print(f"  that job queued {publish['job_queued']:.0f} emails in {publish['job_seconds']:.2f} s")
    print(f"  machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    print(f"BENCH reminders_{size / 1000:g}k_seconds {reminders['seconds']:.2f} s")
    print(f"BENCH reminders_{size / 1000:g}k_peak_mib {reminders['peak_mib']:.1f} MiB")
    print(f"BENCH reminders_rerun_sent {reminders['rerun_sent']:.0f} emails")
    print(f"BENCH publish_{args.pairs}_pairs_request_ms {publish['ms']:.0f} ms")
    print(f"(run at {timezone.now():%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    try:
        main()
    finally:
        drop_bench_database()
