"""Demo coffee-chat hosts with weekly availability in their own zones, and a few chats. Idempotent."""

from datetime import time, timedelta

from django.utils import timezone

from community.availability import WeeklyRule
from community.chats.enums import ChatStatus
from community.chats.models import CoffeeChat, Host
from community.chats.queries import open_slots_for_host
from community.chats.services import save_host
from community.members.models import Area, User

MON, TUE, WED, THU, FRI, SAT = range(6)

HOSTS = [
    {
        "email": "hedy@example.org",
        "intro": (
            "Platform engineer in Vienna. Ask me about moving from ops into platform teams, "
            "or about your first KubeCon talk."
        ),
        "areas": ["technical-guidance", "conference-speaking"],
        "topics": "Platform engineering, Kubernetes operators, CFP reviews",
        "slot_minutes": 30,
        "rules": [WeeklyRule(TUE, time(17), time(19)), WeeklyRule(THU, time(8), time(9, 30))],
    },
    {
        "email": "katherine@example.org",
        "intro": "Engineering manager in New York. Happy to talk promotions, leveling and negotiating your offer.",
        "areas": ["career-ladder", "salary-negotiation", "leadership"],
        "topics": "Staff+ paths, Offer negotiation",
        "slot_minutes": 45,
        "rules": [WeeklyRule(MON, time(12), time(13, 30)), WeeklyRule(WED, time(18), time(20, 15))],
    },
    {
        "email": "ada@example.org",
        "intro": "Maintainer of a CNCF sandbox project, based in Accra. Let's find you a first good issue.",
        "areas": ["open-source", "technical-guidance"],
        "topics": "First contributions, Maintainer life, Go",
        "slot_minutes": 30,
        "rules": [WeeklyRule(SAT, time(10), time(12)), WeeklyRule(FRI, time(16), time(18))],
    },
    {
        "email": "priya@example.org",
        "intro": "SRE lead in Bengaluru. On-call health, incident reviews and growing into leadership.",
        "areas": ["leadership", "technical-guidance"],
        "topics": "SRE, Incident reviews, On-call",
        "slot_minutes": 60,
        "rules": [WeeklyRule(TUE, time(19), time(21)), WeeklyRule(THU, time(19), time(21))],
    },
]

# (host email, guest email, topic, days ago for a held chat or None for an upcoming booking)
CHATS = [
    ("hedy@example.org", "grace@example.org", "Feedback on my KubeCon CFP draft", None),
    ("katherine@example.org", "lena@example.org", "Preparing for a senior promotion case", None),
    ("ada@example.org", "yuki@example.org", "Picking a first issue in the scheduler", 6),
]


def _ensure_hosts(by_email: dict[str, User]) -> dict[str, Host]:
    hosts = {}
    for spec in HOSTS:
        member = by_email.get(spec["email"])
        if member is None:
            continue
        existing = Host.objects.filter(user=member).first()
        if existing is not None:
            # A host's own later edits win over the demo defaults.
            hosts[spec["email"]] = existing
            continue
        hosts[spec["email"]] = save_host(
            member=member,
            areas=Area.objects.filter(slug__in=spec["areas"]),
            topics=spec["topics"],
            intro=spec["intro"],
            slot_minutes=spec["slot_minutes"],
            buffer_minutes=10,
            min_notice_hours=12,
            horizon_days=28,
            weekly_cap=3,
            is_active=True,
            rules=spec["rules"],
        )
    return hosts


def _ensure_chats(hosts: dict[str, Host], by_email: dict[str, User]) -> int:
    made = 0
    now = timezone.now()
    for host_email, guest_email, topic, days_ago in CHATS:
        host, guest = hosts.get(host_email), by_email.get(guest_email)
        if host is None or guest is None or CoffeeChat.objects.filter(host=host, guest=guest, topic=topic).exists():
            continue
        if days_ago is None:
            # Demo data, written directly: the guest's invite emails are for real bookings only.
            slots = open_slots_for_host(host, now=now + timedelta(days=2))
            if not slots:
                continue
            start, status = slots[0].start, ChatStatus.BOOKED
        else:
            start, status = (
                (now - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0),
                ChatStatus.COMPLETED,
            )
        CoffeeChat.objects.create(
            host=host,
            guest=guest,
            start=start,
            end=start + timedelta(minutes=host.slot_minutes),
            topic=topic,
            note="Looking forward to it!",
            status=status,
        )
        made += 1
    return made


def seed(*, members: list[User], builder: User) -> str:
    by_email = {member.email: member for member in [*members, builder]}
    hosts = _ensure_hosts(by_email)
    made = _ensure_chats(hosts, by_email)
    return f"{len(hosts)} hosts, {CoffeeChat.objects.filter(host__in=hosts.values()).count()} chats ({made} new)"
