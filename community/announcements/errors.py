"""Errors of community announcements, each with a message fit for the person who reads it."""


class AnnouncementError(Exception):
    """Base of the errors this app raises on purpose."""


class WebhookNotConfigured(AnnouncementError):
    pass


class AnnouncementsWaiting(AnnouncementError):
    """Some announcements could not be posted yet (429, 5xx, no connection); a retry will post them."""
