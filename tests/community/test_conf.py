"""App settings: declared once with django-appconf, read from django.conf.settings whenever used."""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from community.announcements.conf import app_settings as announcements
from community.calendar.conf import app_settings as calendar
from community.chats.conf import app_settings as chats
from community.conf import AppSettings
from community.digest.conf import app_settings as digest
from community.members.conf import app_settings as members
from community.notifications.conf import app_settings as notifications
from community.podcasts.conf import app_settings as podcasts
from community.reports.conf import app_settings as reports
from mentorship.conf import app_settings as mentorship

ROOT = Path(__file__).resolve().parents[2]
ALL = [announcements, calendar, chats, digest, members, notifications, podcasts, reports, mentorship]


def another_value(default):
    if isinstance(default, bool):
        return not default
    if isinstance(default, int | float | str):
        return default * 2 if default else type(default)(1)
    return type(default)()


def plain_settings() -> list:
    """(settings object, name, a value other than its default) for every setting without a clean hook."""
    return [
        pytest.param(conf, name, another_value(conf._meta.defaults[prefixed]), id=prefixed)
        for conf in ALL
        for name, prefixed in conf._meta.names.items()
        if not hasattr(conf, f"clean_{name.lower()}")
    ]


@pytest.mark.parametrize(("conf", "name", "value"), plain_settings())
def test_every_setting_follows_an_override_and_returns_to_its_default(conf, name, value, settings):
    default = conf._meta.defaults[conf._meta.names[name]]

    setattr(settings, conf._meta.names[name], value)
    overridden = getattr(conf, name)
    delattr(settings, conf._meta.names[name])

    assert (overridden, getattr(conf, name)) == (value, default)


def test_prefixes_are_those_the_settings_always_had():
    assert [conf._meta.prefix for conf in ALL] == [
        "announcements",
        "calendar",
        "chats",
        "digest",
        "members",
        "notifications",
        "podcast",
        "reports",
        "mentorship",
    ]


def test_values_take_the_type_of_their_default(settings):
    settings.CHATS_MAX_OPEN_BOOKINGS_PER_MEMBER = "2"
    settings.ANNOUNCEMENTS_LOOKBACK_HOURS = 6

    assert chats.MAX_OPEN_BOOKINGS_PER_MEMBER == 2
    assert announcements.lookback == timedelta(hours=6)


def test_fallbacks_follow_the_settings_they_fall_back_to(settings):
    settings.SITE_NAME = "Cloud Crew"
    settings.DEFAULT_FROM_EMAIL = "Cloud Crew <hi@crew.example>"
    settings.TIME_ZONE = "Europe/Vienna"
    settings.SITE_URL = "https://crew.example"

    assert (podcasts.TITLE, podcasts.AUTHOR, podcasts.COPYRIGHT) == ("Cloud Crew Podcast", "Cloud Crew", "© Cloud Crew")
    assert podcasts.IMAGE_URL == "https://crew.example/static/podcasts/cover.png"
    assert notifications.FROM_EMAIL == members.CONDUCT_CONTACT == "Cloud Crew <hi@crew.example>"
    assert reports.zone == ZoneInfo("Europe/Vienna")
    settings.REPORTS_TIME_ZONE = "Asia/Tokyo"
    assert reports.zone == ZoneInfo("Asia/Tokyo")


def test_cleaned_settings(settings):
    settings.ANNOUNCEMENTS_WEBHOOKS = {"workshops": ["", "https://hooks.slack.com/services/x"]}
    settings.MENTORSHIP_FEEDBACK_END_DAYS = 0
    settings.MENTORSHIP_SOLVE_RESOURCES = {"limits": {"cpu": "2"}}
    settings.MENTORSHIP_WORKDAY = ("08:30", "17:00")

    assert announcements.WEBHOOKS == {"workshops": ["https://hooks.slack.com/services/x"]}
    assert mentorship.FEEDBACK_END_DAYS == 1
    assert mentorship.SOLVE_RESOURCES == {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"memory": "2Gi", "cpu": "2"},
    }
    options = mentorship.matching_options()
    assert (options.workday_start.isoformat(), options.workday_end.isoformat()) == ("08:30:00", "17:00:00")


def test_settings_declared_while_an_override_is_active_keep_their_defaults_after_it():
    with override_settings(DEBUG=False):

        class Late(AppSettings):
            ANSWER = 42

            class Meta:
                prefix = "late"

    assert Late().ANSWER == 42


def test_no_conf_module_reads_the_environment():
    readers = [
        str(path.relative_to(ROOT))
        for package in ("community", "mentorship")
        for path in (ROOT / package).rglob("conf.py")
        if "os.environ" in path.read_text() or "getenv" in path.read_text()
    ]
    assert readers == []


@pytest.mark.parametrize(("text", "explicit"), [("false", False), ("0", False), ("true", True), ("yes", True)])
def test_a_flag_set_as_text_means_what_the_text_says(settings, text, explicit):
    settings.PODCAST_EXPLICIT = text
    assert podcasts.EXPLICIT is explicit
