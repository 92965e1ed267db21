from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File

from community.podcasts.chapters import ChaptersError, normalise_chapters
from community.podcasts.transcripts import TranscriptError, parse_transcript

MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024


def transcript_format(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def validate_transcript(file: File) -> None:
    """A transcript is a UTF-8 .vtt or .srt file whose cues parse."""
    fmt = transcript_format(file.name or "")
    if fmt not in {"vtt", "srt"}:
        raise ValidationError("Upload the transcript as a WebVTT (.vtt) or SubRip (.srt) file.")
    if file.size is not None and file.size > MAX_TRANSCRIPT_BYTES:
        raise ValidationError("The transcript is larger than 5 MB.")
    file.seek(0)
    raw = file.read()
    file.seek(0)
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ValidationError("The transcript must be UTF-8 text.") from exc
    try:
        parse_transcript(text, fmt)
    except TranscriptError as exc:
        raise ValidationError(str(exc)) from exc


def validate_chapters(value: Any) -> None:
    if value in (None, "", {}, []):
        return
    try:
        normalise_chapters(value)
    except ChaptersError as exc:
        raise ValidationError(str(exc)) from exc
