from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File

from community.podcasts.chapters import ChaptersError, normalise_chapters
from community.podcasts.transcripts import TranscriptError, parse_transcript

MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024

AUDIO_EXTENSIONS = {"mp3", "m4a", "mp4", "aac", "ogg", "oga", "opus", "wav", "flac"}


def sniff_audio_type(head: bytes) -> str | None:
    """The MIME type the first bytes of a file show, for the audio formats podcast apps play; else None.

    The type a browser sends with an upload is whatever the file's name suggests, so it is not trusted.
    """
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"  # an ADTS frame header (layer bits 00)
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"  # an MPEG audio frame header without an ID3 tag
    return None


def validate_audio_upload(file: File, *, max_bytes: int) -> str:
    """Refuse an upload that is not audio podcast apps play, or that is too large; return its MIME type."""
    if transcript_format(file.name or "") not in AUDIO_EXTENSIONS:
        raise ValidationError("Upload the audio as an MP3, M4A, AAC, Ogg/Opus, WAV or FLAC file.")
    if file.size is not None and file.size > max_bytes:
        raise ValidationError(f"The audio file is larger than {max_bytes // (1024 * 1024)} MB.")
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    mimetype = sniff_audio_type(head if isinstance(head, bytes) else head.encode())
    if mimetype is None:
        raise ValidationError("This file is not audio podcast apps can play (its content is not MP3, M4A or Ogg).")
    return mimetype


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
