"""Podcasting 2.0 JSON chapters (https://github.com/Podcastindex-org/podcast-namespace/blob/main/chapters/jsonChapters.md)."""

from typing import Any
from urllib.parse import urlsplit

CHAPTERS_VERSION = "1.2.0"
CHAPTERS_MIME_TYPE = "application/json+chapters"


class ChaptersError(ValueError):
    """The chapters do not follow the JSON chapters format; the message says what is wrong."""


def normalise_chapters(data: Any) -> dict[str, Any]:
    """Accept either the full document or a bare list of chapters; return the full document, validated."""
    if isinstance(data, list):
        data = {"version": CHAPTERS_VERSION, "chapters": data}
    if not isinstance(data, dict) or not isinstance(data.get("chapters"), list):
        raise ChaptersError("Chapters must be an object with a “chapters” list (or the list itself).")
    previous = -1.0
    chapters = []
    for number, chapter in enumerate(data["chapters"], start=1):
        if not isinstance(chapter, dict):
            raise ChaptersError(f"Chapter {number} must be an object.")
        start = chapter.get("startTime")
        if isinstance(start, bool) or not isinstance(start, int | float) or start < 0:
            raise ChaptersError(f"Chapter {number} needs a “startTime” in seconds (a number, 0 or more).")
        if start <= previous:
            raise ChaptersError(f"Chapter {number} starts before or with the chapter above it.")
        title = chapter.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ChaptersError(f"Chapter {number} needs a “title”.")
        for key in ("url", "img"):
            if key in chapter and not _is_web_address(chapter[key]):
                raise ChaptersError(
                    f"Chapter {number}: “{key}” must be a web address starting with https:// or http://."
                )
        previous = start
        chapters.append(chapter)
    return {**data, "version": str(data.get("version", CHAPTERS_VERSION)), "chapters": chapters}


def _is_web_address(value: Any) -> bool:
    # Podcast apps open a chapter's link: anything but http(s) (javascript:, data:, file:) is refused.
    if not isinstance(value, str):
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
