from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from community.workshops.models import Workshop

register = template.Library()


@register.simple_tag
def workshop_when(workshop: Workshop) -> str:
    """E.g. "Tuesday 3 March 2026, 15:30 to 17:00" with the active zone named, as in "(Europe/Berlin, CET)"."""
    start = timezone.localtime(workshop.starts_at)
    end = timezone.localtime(workshop.ends_at)
    same_day = start.date() == end.date()
    end_text = date_format(end, "H:i") if same_day else date_format(end, "l j F Y, H:i")
    zone = timezone.get_current_timezone_name()
    # The datetime's own name for its offset: Django's "T" format is blank for a wall time that occurs twice
    # (the night clocks go back), which is exactly when the abbreviation tells the two apart.
    abbreviation = start.tzname() or ""
    zone_text = zone if abbreviation in {zone, ""} or abbreviation.startswith(("+", "-")) else f"{zone}, {abbreviation}"
    return f"{date_format(start, 'l j F Y, H:i')}\N{EN DASH}{end_text} ({zone_text})"
