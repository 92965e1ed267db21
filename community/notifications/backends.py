"""Email backends of the outbox."""

import sys
from typing import Any

from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend


class TerminalEmailBackend(ConsoleEmailBackend):
    """Django's console backend, writing to the process's real terminal.

    Emails are sent by the delivery job, whose output the workflow engine captures into the task's
    log; on a laptop the person trying the site expects them in the terminal of `make run`, as
    before. They are in the task's log too, since the job counts what it sent.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream", sys.__stdout__)
        super().__init__(*args, **kwargs)
