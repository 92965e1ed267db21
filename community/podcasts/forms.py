import mimetypes
from typing import Any

from django import forms

from community.members.fields import SingleLineFieldsMixin
from community.podcasts.chapters import ChaptersError, normalise_chapters
from community.podcasts.conf import app_settings
from community.podcasts.models import Episode
from community.podcasts.validators import validate_audio_upload

AUDIO_TYPES = {"audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/aac", "audio/ogg", "audio/opus", "audio/wav",
               "audio/x-wav", "audio/flac", "video/mp4"}  # fmt: skip


class EpisodeAdminForm(SingleLineFieldsMixin, forms.ModelForm):
    """Builders give the audio as an upload (size and type read from it) or as a URL (size and type typed in)."""

    single_line_fields = ("title",)

    class Meta:
        model = Episode
        fields = [
            "title", "slug", "summary", "show_notes", "image_url", "audio_file", "audio_url", "audio_length",
            "audio_type", "duration", "publish_at", "season", "number", "episode_type", "explicit", "transcript",
            "chapters",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("audio_length", "audio_type"):
            self.fields[name].required = False
            self.fields[name].help_text += " Filled in from an uploaded file; give it for an audio URL."

    def clean_chapters(self) -> Any:
        chapters = self.cleaned_data.get("chapters")
        if not chapters:
            return None
        try:
            return normalise_chapters(chapters)
        except ChaptersError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = self.files.get(self.add_prefix("audio_file"))
        audio_url = cleaned.get("audio_url")
        has_file = bool(cleaned.get("audio_file"))
        if audio_url and has_file:
            if upload is not None:
                self.add_error("audio_url", "Give the audio either as a URL or as an upload, not both.")
                return cleaned
            # A URL typed in over an earlier upload replaces it.
            cleaned["audio_file"] = None
        elif not audio_url and not has_file:
            self.add_error("audio_url", "Give the audio as a URL or upload the file.")
            return cleaned
        if upload is not None:
            try:
                mimetype = validate_audio_upload(upload, max_bytes=app_settings.MAX_AUDIO_BYTES)
            except forms.ValidationError as exc:
                self.add_error("audio_file", exc)
                return cleaned
            cleaned["audio_length"] = upload.size
            cleaned["audio_type"] = mimetype
        else:
            if not cleaned.get("audio_length"):
                self.add_error("audio_length", "Give the size of the audio file in bytes (podcast apps need it).")
            if not cleaned.get("audio_type") and audio_url:
                cleaned["audio_type"] = mimetypes.guess_type(audio_url)[0] or ""
        if cleaned.get("audio_type") and cleaned["audio_type"] not in AUDIO_TYPES:
            self.add_error(
                "audio_type" if upload is None else "audio_file",
                f"“{cleaned['audio_type']}” is not an audio type podcast apps play; use MP3 or M4A.",
            )
        elif not cleaned.get("audio_type"):
            self.add_error("audio_type", "Give the MIME type of the audio, e.g. audio/mpeg.")
        return cleaned

    def _post_clean(self) -> None:
        # Values derived in clean() (size and type of an upload) must reach the instance.
        super()._post_clean()
        for name in ("audio_length", "audio_type"):
            if name in self.cleaned_data and self.cleaned_data[name] not in (None, ""):
                setattr(self.instance, name, self.cleaned_data[name])
