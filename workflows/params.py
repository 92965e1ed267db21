"""Typed run parameters of a DAG (`params={"days": Param(30, minimum=1)}`), checked before a run is created.

DAG files import `Param` from `workflows.sdk`, the authoring API, which re-exports it from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from workflows.errors import DagDefinitionError

_NOTSET: Any = object()


class Param:
    """A typed run parameter: int, str, bool or float, with a default and optional choices."""

    TYPES: ClassVar[dict[str, type]] = {"int": int, "str": str, "bool": bool, "float": float}
    _TRUE = frozenset({"1", "true", "yes", "on", "y"})
    _FALSE = frozenset({"0", "false", "no", "off", "n", ""})

    def __init__(
        self,
        default: Any = _NOTSET,
        *,
        type: str | None = None,
        choices: Sequence[Any] | None = None,
        description: str = "",
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> None:
        if type is None:
            if default is _NOTSET or default is None:
                type = "str"
            else:
                type = next((name for name, cls in self.TYPES.items() if _type_of(default) is cls), "")
                if not type:
                    raise DagDefinitionError(
                        f"param default {default!r} has an unsupported type; use int, str, bool or float"
                    )
        if type not in self.TYPES:
            raise DagDefinitionError(f"param type {type!r} is not one of {', '.join(self.TYPES)}")
        self.type = type
        self.description = description
        self.minimum = minimum
        self.maximum = maximum
        self.choices = [self._coerce(choice) for choice in choices] if choices is not None else None
        self.default = default if default is _NOTSET or default is None else self._coerce(default)
        if self.choices is not None and self.has_default and self.default not in self.choices:
            raise DagDefinitionError(f"param default {default!r} is not one of its choices {self.choices!r}")

    @property
    def has_default(self) -> bool:
        return self.default is not _NOTSET

    @property
    def required(self) -> bool:
        return not self.has_default

    def _coerce(self, value: Any) -> Any:
        kind = self.TYPES[self.type]
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in self._TRUE:
                return True
            if text in self._FALSE:
                return False
            raise ValueError("expected true or false")
        if self.type == "int":
            if isinstance(value, bool):
                raise ValueError("expected a whole number")
            if isinstance(value, float) and not value.is_integer():
                raise ValueError("expected a whole number")
            try:
                return int(str(value).strip()) if isinstance(value, str) else int(value)
            except (TypeError, ValueError):
                raise ValueError("expected a whole number") from None
        if self.type == "float":
            if isinstance(value, bool):
                raise ValueError("expected a number")
            try:
                return float(value)
            except (TypeError, ValueError):
                raise ValueError("expected a number") from None
        return kind(value)

    def validate(self, value: Any) -> Any:
        """Coerce a value (often text from a form or the command line); raise ValueError if invalid."""
        if value is None or (isinstance(value, str) and value == "" and self.type != "str"):
            if self.has_default:
                return self.default
            raise ValueError("a value is required")
        coerced = self._coerce(value)
        if self.choices is not None and coerced not in self.choices:
            raise ValueError(f"must be one of {', '.join(map(str, self.choices))}")
        if self.minimum is not None and coerced < self.minimum:
            raise ValueError(f"must be at least {self.minimum}")
        if self.maximum is not None and coerced > self.maximum:
            raise ValueError(f"must be at most {self.maximum}")
        return coerced


def _type_of(value: Any) -> type:
    # Param.__init__ takes an argument named `type`, which hides the builtin there.
    return type(value)
