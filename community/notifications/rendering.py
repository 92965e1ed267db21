"""Turn a template name and context into the subject, text and HTML of one email."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone

from community.members.zones import member_zone


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _render_plain(name: str, context: dict[str, Any]) -> str:
    # Plain text must not be HTML-escaped ("Q&A" stays "Q&A"), so the Django template is
    # rendered with autoescape off rather than through the backend wrapper.
    template = get_template(name).template  # type: ignore[attr-defined]
    return template.render(Context(context, autoescape=False))


def render_email(template: str, context: dict[str, Any]) -> RenderedEmail:
    """Render templates/emails/<template>.subject.txt, .txt and .html with the site's name and address added.

    Times render in the recipient's own zone (their profile's), else in the site's default zone.
    """
    full_context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    zone = member_zone(context.get("recipient"), default=None)
    # Never the zone of whoever triggered the email: the recipient's, else the site's default.
    with timezone.override(zone):
        subject = " ".join(_render_plain(f"emails/{template}.subject.txt", full_context).split())
        text = _render_plain(f"emails/{template}.txt", full_context).strip() + "\n"
        html = get_template(f"emails/{template}.html").render(full_context)
    return RenderedEmail(subject=subject[:255], text=text, html=html)
