"""`python manage.py scheduler`: run the workflow scheduler (and its executors) until SIGTERM."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.errors import SchedulerAlreadyRunning
from workflows.scheduler import Scheduler


class Command(BaseCommand):
    help = "Run the workflow scheduler: create due runs, queue ready tasks, watch running tries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--executors", help="comma-separated executors to run (default: WORKFLOWS_EXECUTORS)", default=""
        )
        parser.add_argument("--max-seconds", type=float, default=None, help="stop after this many seconds")
        parser.add_argument("--max-loops", type=int, default=None, help="stop after this many loops")

    def handle(self, *args: Any, executors: str, max_seconds: float | None, max_loops: int | None, **o: Any) -> None:
        names = [name.strip() for name in executors.split(",") if name.strip()] or None
        try:
            Scheduler(executor_names=names, max_seconds=max_seconds, max_loops=max_loops).run()
        except SchedulerAlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
