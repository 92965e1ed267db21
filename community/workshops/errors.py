class WorkshopError(Exception):
    """Base of the workshop domain errors; the message is fit to show the member."""


class AlreadyRegistered(WorkshopError):
    pass


class RegistrationClosed(WorkshopError):
    pass


class NotRegistered(WorkshopError):
    pass


class CannotCancel(WorkshopError):
    pass


class AttendanceTooEarly(WorkshopError):
    pass
