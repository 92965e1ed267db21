"""Demo episodes: five published, one scheduled next week. Running it again changes nothing."""

import io
import math
import struct
import wave
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from community.members.models import User
from community.podcasts.models import Episode, EpisodeGuest

DEMO_AUDIO = "podcast/audio/demo-chime.wav"
DEMO_TRANSCRIPT = "podcast/transcripts/demo-kubecon-first-talk.vtt"

TRANSCRIPT = """WEBVTT

00:00:00.000 --> 00:00:04.000
<v Host>Welcome back to the show. Today: giving your first conference talk.

00:00:04.000 --> 00:00:09.000
<v Guest>Thanks! I was terrified, and I want everyone to know that is normal.
"""

EPISODES = [
    # slug, title, days from now, season, number, type, minutes, summary
    ("welcome-to-the-podcast", "Welcome to the podcast", -120, 1, 0, "trailer", 4,
     "Who we are, why this podcast exists and what you will hear in the first season."),
    ("first-conference-talk", "Your first conference talk", -90, 1, 1, "full", 42,
     "From CFP to stage: writing an abstract that gets picked and surviving the Q&A."),
    ("operators-in-practice", "Kubernetes operators in practice", -60, 1, 2, "full", 51,
     "When an operator is the right tool, and the reconcile-loop bugs that bite everyone once."),
    ("negotiating-your-salary", "Negotiating your salary in tech", -30, 1, 3, "full", 38,
     "Market data, the first number, and how to say no to an offer without burning the bridge."),
    ("maintainers-roundtable", "Maintainers' roundtable", -7, 1, 4, "bonus", 27,
     "Three maintainers on triage, burnout and growing new contributors."),
    ("platform-teams", "What platform teams owe their users", 7, 1, 5, "full", 45,
     "Golden paths, paved roads and the product mindset that makes an internal platform loved."),
]  # fmt: skip


def _chime() -> bytes:
    """Two seconds of a soft tone, so the player has something real to play."""
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(6000 * math.sin(2 * math.pi * 523 * i / rate) * (1 - i / (2 * rate))))
        for i in range(2 * rate)
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def _ensure_file(name: str, content: bytes) -> int:
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(content))
        if saved != name:
            raise RuntimeError(f"Storage saved the demo file {name} as {saved}.")
    return default_storage.size(name)


def seed(*, members: list[User], builder: User) -> str:
    audio_size = _ensure_file(DEMO_AUDIO, _chime())
    _ensure_file(DEMO_TRANSCRIPT, TRANSCRIPT.encode())
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    created = 0
    for index, (slug, title, days, season, number, kind, minutes, summary) in enumerate(EPISODES):
        episode, was_created = Episode.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "summary": summary,
                "show_notes": f"## In this episode\n\n{summary}\n\n- [Our workshops](/workshops/)\n"
                "- [Find a mentor](/mentorship/)\n",
                "audio_file": DEMO_AUDIO,
                "audio_length": audio_size,
                "audio_type": "audio/wav",
                "duration": timedelta(minutes=minutes),
                "publish_at": now + timedelta(days=days),
                "season": season,
                "number": number or None,
                "episode_type": kind,
                "transcript": DEMO_TRANSCRIPT if slug == "first-conference-talk" else "",
                "chapters": {
                    "version": "1.2.0",
                    "chapters": [
                        {"startTime": 0, "title": "Welcome"},
                        {"startTime": 120, "title": title},
                        {"startTime": minutes * 60 - 180, "title": "Where to find us"},
                    ],
                }
                if kind == "full"
                else None,
            },
        )
        if not was_created:
            continue
        created += 1
        if members:
            guest = members[index % len(members)]
            EpisodeGuest.objects.create(episode=episode, profile=guest.profile, position=1)
        EpisodeGuest.objects.create(episode=episode, name="Priya Raman", role="host", position=0)
    scheduled = Episode.objects.filter(slug__in=[e[0] for e in EPISODES], publish_at__gt=timezone.now()).count()
    return f"{len(EPISODES)} episodes ({created} new, {scheduled} scheduled)"
