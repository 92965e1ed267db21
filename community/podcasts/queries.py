from datetime import datetime

from django.db.models import Count, Max, Prefetch
from django.utils import timezone

from community.podcasts.models import Episode, EpisodeGuest, EpisodeQuerySet


def _guests() -> Prefetch:
    return Prefetch("guests", queryset=EpisodeGuest.objects.select_related("profile"))


def published_episodes() -> EpisodeQuerySet:
    """Published episodes, newest first, with their guests loaded in one extra query."""
    return Episode.objects.published().order_by("-publish_at", "-pk").prefetch_related(_guests())


def episode_for_viewer(*, slug: str, can_preview: bool) -> Episode | None:
    """The episode at this slug if the viewer may see it: published, or any state for builders previewing."""
    episodes = Episode.objects.all() if can_preview else Episode.objects.published()
    return episodes.prefetch_related(_guests()).filter(slug=slug).first()


def feed_fingerprint() -> tuple[int, datetime | None]:
    """What changes whenever the feed's content does: the number of published episodes and the latest change.

    A scheduled episode going live changes the content without touching updated_at, so its
    publish time counts as a change too.
    """
    now = timezone.now()
    stats = Episode.objects.published(now=now).aggregate(
        count=Count("pk"), updated=Max("updated_at"), published=Max("publish_at")
    )
    changed = max((value for value in (stats["updated"], stats["published"]) if value is not None), default=None)
    return stats["count"], changed
