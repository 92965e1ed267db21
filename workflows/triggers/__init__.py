"""Deferrable waits: an operator raises TaskDeferred with a trigger, and no worker sits idle while it waits."""

from workflows.triggers.base import BaseTrigger, TaskDeferred, TriggerEvent

__all__ = ["BaseTrigger", "TaskDeferred", "TriggerEvent"]
