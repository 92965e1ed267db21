"""Domain errors of coffee chats. Each message is written for the member who sees it."""


class ChatError(Exception):
    """Base of every refusal a coffee-chat action can give."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.default_message)

    default_message = "This coffee chat action is not possible."

    @property
    def message(self) -> str:
        return str(self.args[0])


class SlotUnavailable(ChatError):
    """The time cannot be booked: taken, outside the rules, too soon, too far ahead, over the weekly cap."""

    default_message = "This slot cannot be booked."

    def __init__(self, message: str = "", *, reason: object = None) -> None:
        super().__init__(message)
        self.reason = reason


class SlotTaken(SlotUnavailable):
    default_message = "This slot has just been taken. Please pick another one."


class SelfBooking(ChatError):
    default_message = "You cannot book a coffee chat with yourself."


class TooManyOpenBookings(ChatError):
    default_message = "You already have the maximum number of upcoming coffee chats."


class HostInactive(ChatError):
    default_message = "This member is not taking coffee chats at the moment."


class NotAllowed(ChatError):
    default_message = "Only the people in this chat can do that."


class ChatStateError(ChatError):
    """The chat is not in a state that allows the action (already cancelled, not started yet, ...)."""

    default_message = "This chat can no longer be changed."
