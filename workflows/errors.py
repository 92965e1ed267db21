"""Errors of the workflow engine, each with a message fit for the person who reads it."""


class WorkflowError(Exception):
    """Base of every error the engine raises on purpose."""


class DagDefinitionError(WorkflowError):
    """A DAG file describes something the engine cannot run (cycle, duplicate task id, unknown executor)."""


class DagNotFound(WorkflowError):
    pass


class TaskNotFound(WorkflowError):
    pass


class InvalidParams(WorkflowError):
    """Params given to a run do not match the DAG's declared params."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


class DagRunExists(WorkflowError):
    pass


class DagRunNotFound(WorkflowError):
    pass


class ResultTooLarge(WorkflowError):
    pass


class ResultNotSerializable(WorkflowError):
    pass


class ExecutorNotFound(WorkflowError):
    pass


class SchedulerAlreadyRunning(WorkflowError):
    pass


class TaskTimeout(BaseException):
    """Raised inside a running task when its execution_timeout passes.

    A BaseException, so that a task's own `except Exception` cannot swallow it.
    """


class SkipTask(Exception):
    """Raise from a task to end it as skipped; tasks downstream follow their trigger rules."""


class FailTask(Exception):
    """Raise from a task to fail it at once, without using its remaining retries."""
