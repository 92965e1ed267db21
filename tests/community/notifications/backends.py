"""Mail backends for delivery tests: they keep what they send in django.core.mail.outbox, like locmem."""

import threading
import time

from django.core.mail.backends.locmem import EmailBackend


class ProcessDied(BaseException):
    """Stands for the sending process being killed: not an Exception, so nothing in the code catches it."""


class DiesAfterAcceptingBackend(EmailBackend):
    """The mail server accepts the message, then the process dies before the outbox records it."""

    def send_messages(self, messages):
        accepted = super().send_messages(messages)
        raise ProcessDied(f"killed after the server accepted {accepted} message(s)")


class CountingBackend(EmailBackend):
    """Counts how many connections delivery opens."""

    opened = 0

    def open(self):
        type(self).opened += 1
        return super().open()


class SlowBackend(EmailBackend):
    """Takes a little time per message, as a real server does, so concurrent deliverers overlap."""

    lock = threading.Lock()

    def send_messages(self, messages):
        time.sleep(0.002)
        with self.lock:
            return super().send_messages(messages)


class DiesOnThirdBackend(EmailBackend):
    """Accepts two messages, then the process is interrupted while sending the third."""

    def send_messages(self, messages):
        if len(self.outbox_so_far()) == 2:
            raise ProcessDied("interrupted while sending the third message")
        return super().send_messages(messages)

    @staticmethod
    def outbox_so_far():
        from django.core import mail

        return mail.outbox
