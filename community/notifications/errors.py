class NotificationError(Exception):
    """Base of the outbox's domain errors; the message is fit to show a person."""


class NoRecipientAddress(NotificationError):
    """An email was queued with neither a recipient who has an address nor an explicit one."""


class InvalidUnsubscribeLink(NotificationError):
    """An unsubscribe link that is forged, cut short, expired or names no member."""
