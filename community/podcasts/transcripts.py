"""Parse WebVTT and SubRip transcripts into cues. Pure Python: used to validate uploads and to show them."""

import html
import re
from dataclasses import dataclass

_TIME = r"(?:(\d{1,2}):)?(\d{2}):(\d{2})[.,](\d{3})"
_CUE_TIMING = re.compile(rf"^\s*{_TIME}\s+-->\s+{_TIME}")


class TranscriptError(ValueError):
    """The text is not a transcript in the format it claims; the message says where."""


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    speaker: str = ""


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


_VOICE = re.compile(r"^<v(?:\.[\w.-]+)?\s+([^>]+)>(.*?)(?:</v>)?$", re.DOTALL)
_TAG = re.compile(r"</?[^>]+>")


def _cue_text(lines: list[str]) -> tuple[str, str]:
    text = "\n".join(lines).strip()
    speaker = ""
    voice = _VOICE.match(text)
    if voice:
        speaker, text = voice.group(1).strip(), voice.group(2)
    return speaker, html.unescape(_TAG.sub("", text)).strip()


def parse_transcript(text: str, fmt: str) -> list[Cue]:
    """Return the cues of a VTT ("vtt") or SRT ("srt") transcript; raise TranscriptError if malformed."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = [block for block in re.split(r"\n{2,}", text.strip()) if block.strip()]
    if fmt == "vtt":
        if not blocks or not blocks[0].startswith("WEBVTT"):
            raise TranscriptError("A WebVTT transcript must start with the line “WEBVTT”.")
        blocks = blocks[1:]
    elif fmt != "srt":
        raise TranscriptError(f"Unknown transcript format “{fmt}”: use VTT or SRT.")
    cues: list[Cue] = []
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        if fmt == "vtt" and lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_index = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if timing_index is None:
            raise TranscriptError(f"Cue {number} has no “start --> end” timing line.")
        match = _CUE_TIMING.match(lines[timing_index])
        if match is None:
            raise TranscriptError(f"Cue {number} has a malformed timing line: “{lines[timing_index].strip()}”.")
        start = _seconds(*match.groups()[:4])
        end = _seconds(*match.groups()[4:])
        if end < start:
            raise TranscriptError(f"Cue {number} ends before it starts.")
        speaker, cue_text = _cue_text(lines[timing_index + 1 :])
        cues.append(Cue(start=start, end=end, text=cue_text, speaker=speaker))
    if not cues:
        raise TranscriptError("The transcript has no cues.")
    return cues


def format_timestamp(seconds: float) -> str:
    """1:02:03 or 2:03, as players show positions."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
