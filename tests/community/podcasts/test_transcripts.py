import pytest

from community.podcasts.chapters import ChaptersError, normalise_chapters
from community.podcasts.transcripts import Cue, TranscriptError, format_timestamp, parse_transcript
from tests.community.podcasts.factories import SRT, VTT


def test_parse_transcript_vtt_reads_times_and_speakers():
    assert parse_transcript(VTT, "vtt") == [
        Cue(start=0.0, end=4.0, text="Welcome to the show.", speaker="Ada"),
        Cue(start=4.5, end=9.0, text="Thanks for having me & hello.", speaker="Grace"),
    ]


def test_parse_transcript_srt_reads_times():
    assert parse_transcript(SRT, "srt") == [
        Cue(start=0.0, end=4.0, text="Welcome to the show."),
        Cue(start=4.5, end=9.0, text="Thanks for having me."),
    ]


def test_parse_transcript_vtt_with_hours_notes_and_crlf():
    text = "\ufeffWEBVTT\r\n\r\nNOTE recorded live\r\n\r\nintro\r\n01:02:03.250 --> 01:02:05.000\r\nHi\r\n"
    assert parse_transcript(text, "vtt") == [Cue(start=3723.25, end=3725.0, text="Hi")]


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("00:00:00.000 --> 00:00:01.000\nHi", "vtt", "must start with the line “WEBVTT”"),
        ("1\n00:00 to 00:01\nHi", "srt", "no “start --> end” timing line"),
        ("1\n00:00:05,000 --> 00:00:01,000\nHi", "srt", "ends before it starts"),
        ("1\nabc --> def\nHi", "srt", "malformed timing line"),
        ("WEBVTT\n", "vtt", "no cues"),
        ("hello", "txt", "Unknown transcript format"),
    ],
)
def test_parse_transcript_malformed_is_refused_with_reason(text, fmt, message):
    with pytest.raises(TranscriptError, match=message):
        parse_transcript(text, fmt)


def test_format_timestamp_shows_hours_only_when_needed():
    assert [format_timestamp(s) for s in (0, 95, 3723.9)] == ["0:00", "1:35", "1:02:03"]


def test_normalise_chapters_accepts_bare_list():
    assert normalise_chapters([{"startTime": 0, "title": "Hi"}]) == {
        "version": "1.2.0",
        "chapters": [{"startTime": 0, "title": "Hi"}],
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"chapters": "no"}, "“chapters” list"),
        ([{"title": "No start"}], "needs a “startTime”"),
        ([{"startTime": 10, "title": "B"}, {"startTime": 5, "title": "A"}], "starts before"),
        ([{"startTime": 0, "title": ""}], "needs a “title”"),
    ],
)
def test_normalise_chapters_invalid_is_refused(data, message):
    with pytest.raises(ChaptersError, match=message):
        normalise_chapters(data)
