"""The trigger contract. A trigger is plain data (classpath + JSON kwargs) that an asyncio process runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class TriggerEvent:
    """What a trigger yields when its wait is over; handed to the operator's resume method."""

    payload: dict[str, Any] = field(default_factory=dict)


class BaseTrigger:
    """Subclasses implement `serialize()` and `run()`; they are rebuilt from `serialize()` in the triggerer."""

    def serialize(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    async def run(self) -> AsyncIterator[TriggerEvent]:
        raise NotImplementedError
        yield TriggerEvent()  # pragma: no cover - makes this an async generator for type checkers


class TaskDeferred(BaseException):
    """Raise from `execute` to end the try and wait on `trigger`; `method_name` is called when it fires."""

    def __init__(self, *, trigger: BaseTrigger, method_name: str, timeout: timedelta | None = None) -> None:
        super().__init__(f"deferred to {type(trigger).__name__}")
        self.trigger = trigger
        self.method_name = method_name
        self.timeout = timeout
