import hashlib
import json
from datetime import datetime

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition, require_safe

from community.members.permissions import is_builder
from community.podcasts.chapters import CHAPTERS_MIME_TYPE, normalise_chapters
from community.podcasts.conf import app_settings
from community.podcasts.feeds import EpisodeFeed
from community.podcasts.markdown import render_markdown
from community.podcasts.models import Episode
from community.podcasts.queries import episode_for_viewer, feed_fingerprint, published_episodes
from community.podcasts.transcripts import TranscriptError, format_timestamp, parse_transcript


@require_safe
def episode_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(published_episodes(), app_settings.EPISODES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "podcasts/episode_list.html", {"page": page, "podcast_title": app_settings.TITLE})


def _episode_or_404(request: HttpRequest, slug: str) -> Episode:
    episode = episode_for_viewer(slug=slug, can_preview=is_builder(request.user))
    if episode is None:
        raise Http404("No episode here, or it is not published yet.")
    return episode


def _transcript_cues(episode: Episode) -> list[dict[str, str]]:
    if not episode.transcript:
        return []
    try:
        with episode.transcript.open("rb") as handle:
            cues = parse_transcript(handle.read().decode("utf-8"), episode.transcript_format)
    except (OSError, UnicodeDecodeError, TranscriptError):
        return []
    return [{"at": format_timestamp(cue.start), "speaker": cue.speaker, "text": cue.text} for cue in cues]


@require_safe
def episode_detail(request: HttpRequest, slug: str) -> HttpResponse:
    episode = _episode_or_404(request, slug)
    chapters = normalise_chapters(episode.chapters)["chapters"] if episode.chapters else []
    context = {
        "episode": episode,
        "show_notes_html": render_markdown(episode.show_notes),
        "cues": _transcript_cues(episode),
        "chapters": [{"at": format_timestamp(c["startTime"]), "title": c["title"]} for c in chapters],
    }
    return render(request, "podcasts/episode_detail.html", context)


@require_safe
def episode_chapters(request: HttpRequest, slug: str) -> JsonResponse:
    episode = _episode_or_404(request, slug)
    if not episode.chapters:
        raise Http404("This episode has no chapters.")
    response = JsonResponse(normalise_chapters(episode.chapters), json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = f"{CHAPTERS_MIME_TYPE}; charset=utf-8"
    response["Access-Control-Allow-Origin"] = "*"  # web players on other origins fetch chapters
    return response


@require_safe
def episode_transcript(request: HttpRequest, slug: str) -> HttpResponse:
    episode = _episode_or_404(request, slug)
    if not episode.transcript:
        raise Http404("This episode has no transcript.")
    try:
        with episode.transcript.open("rb") as handle:
            body = handle.read()
    except OSError:
        # The row names a file that storage no longer has (a restore without media, a manual clean-up).
        raise Http404("This episode's transcript is not available.") from None
    response = HttpResponse(body, content_type=f"{episode.transcript_mime_type}; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Content-Disposition"] = f'inline; filename="{episode.slug}.{episode.transcript_format}"'
    return response


def _feed_etag(request: HttpRequest) -> str:
    count, changed = feed_fingerprint()
    # Channel settings are part of the feed, so they are part of its version too.
    channel = json.dumps([app_settings.TITLE, app_settings.DESCRIPTION, app_settings.IMAGE_URL], sort_keys=True)
    raw = f"{count}|{changed.isoformat() if changed else ''}|{channel}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _feed_last_modified(request: HttpRequest) -> datetime | None:
    return feed_fingerprint()[1]


_feed = EpisodeFeed()


@condition(etag_func=_feed_etag, last_modified_func=_feed_last_modified)
def _conditional_feed(request: HttpRequest) -> HttpResponse:
    return _feed(request)


@require_safe
def feed(request: HttpRequest) -> HttpResponse:
    """The RSS feed; a poll with a matching ETag or Last-Modified gets an empty 304."""
    response = _conditional_feed(request)
    patch_cache_control(response, public=True, max_age=app_settings.FEED_CACHE_SECONDS)
    return response
