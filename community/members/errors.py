"""Domain errors of the members app, each with a message fit to show a person."""


class MembersError(Exception):
    """Base of every error a members service raises."""


class UnknownTimeZone(MembersError):
    def __init__(self, zone: str) -> None:
        super().__init__(f'"{zone}" is not a time zone we know. Use an IANA name such as "Europe/Berlin".')
        self.zone = zone


class CodeOfConductNotAccepted(MembersError):
    def __init__(self) -> None:
        super().__init__("You must accept the code of conduct to join the community.")
