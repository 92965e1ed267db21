from django.db import models


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    WAITLISTED = "waitlisted", "Waitlisted"
    CANCELLED = "cancelled", "Cancelled"
    ATTENDED = "attended", "Attended"


# Statuses that hold a member's place (one per member and workshop at most).
ACTIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.ATTENDED)
# Statuses that occupy a seat.
SEATED_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)
