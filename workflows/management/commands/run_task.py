"""`python manage.py run_task <task instance id> --try <n>`: run one try in this process (pods, shells)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from workflows.enums import TryState
from workflows.runner import run_try


class Command(BaseCommand):
    help = "Run one try of a task instance: claim it, run the task, record the outcome."
    # Every pod and shell try starts here: the scheduler and the web process already ran the system
    # checks against this same code, and running them again costs each try seconds of start-up.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task_instance_id", type=int)
        parser.add_argument("--try", dest="try_number", type=int, required=True, help="the try number to run")

    def handle(self, *args: Any, task_instance_id: int, try_number: int, **options: Any) -> None:
        result = run_try(task_instance_id, try_number)
        if not result.claimed:
            # Not an error of the task: the try was already taken, finished or given up on.
            self.stderr.write(f"try {try_number} of task instance {task_instance_id} not run: {result.reason}")
            return
        self.stdout.write(f"try {try_number} of task instance {task_instance_id}: {result.state}")
        if result.state == TryState.FAILED:
            raise SystemExit(1)
