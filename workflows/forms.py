"""Forms of the staff UI. The trigger form is generated from the DAG's declared params."""

from __future__ import annotations

from typing import Any

from django import forms

from workflows.params import Param
from workflows.sdk import DAG


def _field_for(name: str, param: Param) -> forms.Field:
    label = name.replace("_", " ").capitalize()
    common: dict[str, Any] = {"label": label, "help_text": param.description}
    initial = param.default if param.has_default else None
    if param.choices is not None:
        choices = [(str(c), str(c)) for c in param.choices]
        return forms.ChoiceField(choices=choices, initial=None if initial is None else str(initial), **common)
    if param.type == "bool":
        return forms.BooleanField(required=False, initial=initial, **common)
    if param.type == "int":
        return forms.IntegerField(
            required=param.required,
            initial=initial,
            min_value=None if param.minimum is None else int(param.minimum),
            max_value=None if param.maximum is None else int(param.maximum),
            **common,
        )
    if param.type == "float":
        return forms.FloatField(
            required=param.required,
            initial=initial,
            min_value=None if param.minimum is None else int(param.minimum),
            max_value=None if param.maximum is None else int(param.maximum),
            **common,
        )
    return forms.CharField(required=param.required, initial=initial, max_length=1000, **common)


class TriggerForm(forms.Form):
    def __init__(self, *args: Any, dag: DAG, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dag = dag
        for name, param in dag.params.items():
            self.fields[name] = _field_for(name, param)

    def params(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if value is not None}


class PauseForm(forms.Form):
    paused = forms.BooleanField(required=False)


class ClearForm(forms.Form):
    downstream = forms.BooleanField(required=False, label="Also re-run every task downstream")


class MarkForm(forms.Form):
    state = forms.ChoiceField(choices=[("success", "Success"), ("failed", "Failed")])
    downstream = forms.BooleanField(required=False, label="Also mark every task downstream")
