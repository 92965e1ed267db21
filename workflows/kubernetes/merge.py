"""Strategic merge patch of a pod, computed the way the Kubernetes API server computes it.

The API server merges a `application/strategic-merge-patch+json` body by rules the API declares on
each list field (`patchStrategy` and `patchMergeKey` in the Go types, `x-kubernetes-patch-strategy`
and `x-kubernetes-patch-merge-key` in the OpenAPI schema). This module follows the server's
algorithm (k8s.io/apimachinery, strategicpatch) on plain API-form dicts:

- a mapping merges key by key, recursively; `null` deletes a key; a scalar replaces;
- a list with a merge key merges its entries by that key (an entry of a new key is added), and the
  result keeps the patch's entries in the patch's order, with the original's other entries slotted
  in by their original positions, exactly as the server orders them;
- a list of scalars with the merge strategy (`finalizers`) becomes the union of both;
- any other list is replaced whole (`tolerations`, `envFrom`, `command`, `args`, affinity terms, …);
- directives: `$patch: replace` / `$patch: delete` in a mapping or a merged list's entry, and
  `$retainKeys` in an entry of a `retainKeys` list (`volumes`, `resourceClaims`).

`POD_PATCH_RULES` is derived from the newest official schema; a test keeps it equal to what that
schema declares. Paths name fields from the Pod's root, list entries being transparent:
`("spec", "containers", "env")` is the env list of every container.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PATCH_DIRECTIVE = "$patch"
RETAIN_KEYS_DIRECTIVE = "$retainKeys"

Path = tuple[str, ...]


class MergePatchError(ValueError):
    """A patch the API server would refuse."""


@dataclass(frozen=True)
class MergeRule:
    """How one list field merges: by `key` (None for a list of scalars), and whether it honours `$retainKeys`."""

    key: str | None
    retain_keys: bool = False


POD_PATCH_RULES: dict[Path, MergeRule] = {
    ("metadata", "finalizers"): MergeRule(None),
    ("metadata", "ownerReferences"): MergeRule("uid"),
    ("spec", "containers"): MergeRule("name"),
    ("spec", "containers", "env"): MergeRule("name"),
    ("spec", "containers", "ports"): MergeRule("containerPort"),
    ("spec", "containers", "volumeDevices"): MergeRule("devicePath"),
    ("spec", "containers", "volumeMounts"): MergeRule("mountPath"),
    ("spec", "ephemeralContainers"): MergeRule("name"),
    ("spec", "ephemeralContainers", "env"): MergeRule("name"),
    ("spec", "ephemeralContainers", "ports"): MergeRule("containerPort"),
    ("spec", "ephemeralContainers", "volumeDevices"): MergeRule("devicePath"),
    ("spec", "ephemeralContainers", "volumeMounts"): MergeRule("mountPath"),
    ("spec", "evictionResponders"): MergeRule("name"),
    ("spec", "hostAliases"): MergeRule("ip"),
    ("spec", "imagePullSecrets"): MergeRule("name"),
    ("spec", "initContainers"): MergeRule("name"),
    ("spec", "initContainers", "env"): MergeRule("name"),
    ("spec", "initContainers", "ports"): MergeRule("containerPort"),
    ("spec", "initContainers", "volumeDevices"): MergeRule("devicePath"),
    ("spec", "initContainers", "volumeMounts"): MergeRule("mountPath"),
    ("spec", "resourceClaims"): MergeRule("name", retain_keys=True),
    ("spec", "schedulingGates"): MergeRule("name"),
    ("spec", "topologySpreadConstraints"): MergeRule("topologyKey"),
    ("spec", "volumes"): MergeRule("name", retain_keys=True),
    ("spec", "volumes", "ephemeral", "volumeClaimTemplate", "metadata", "finalizers"): MergeRule(None),
    ("spec", "volumes", "ephemeral", "volumeClaimTemplate", "metadata", "ownerReferences"): MergeRule("uid"),
}


def strategic_merge(
    original: Mapping[str, Any], patch: Mapping[str, Any], rules: Mapping[Path, MergeRule] = POD_PATCH_RULES
) -> dict[str, Any]:
    """`original` with `patch` applied as a strategic merge patch; neither input is changed."""
    return _merge_map(copy.deepcopy(dict(original)), copy.deepcopy(dict(patch)), (), rules)


def with_retain_keys(patch: Mapping[str, Any], rules: Mapping[Path, MergeRule] = POD_PATCH_RULES) -> dict[str, Any]:
    """`patch` with `$retainKeys` on each entry of a `retainKeys` list that has none, as `kubectl apply` sends it.

    With it, an entry replaces the same-named entry's fields instead of adding to them: a volume given as
    a configMap stops being the emptyDir it was, rather than becoming an invalid volume with two sources.
    """
    return _add_retain_keys(copy.deepcopy(dict(patch)), (), rules)


def _add_retain_keys(patch: dict[str, Any], path: Path, rules: Mapping[Path, MergeRule]) -> dict[str, Any]:
    for key, value in patch.items():
        here = (*path, key)
        if isinstance(value, dict):
            _add_retain_keys(value, here, rules)
        elif isinstance(value, list):
            rule = rules.get(here)
            for item in value:
                if not isinstance(item, dict):
                    continue
                _add_retain_keys(item, here, rules)
                if rule is not None and rule.retain_keys and PATCH_DIRECTIVE not in item:
                    item.setdefault(
                        RETAIN_KEYS_DIRECTIVE,
                        sorted(k for k, v in item.items() if v is not None and not k.startswith("$")),
                    )
    return patch


def _where(path: Path) -> str:
    return ".".join(path) or "the pod"


def _merge_map(
    original: dict[str, Any], patch: dict[str, Any], path: Path, rules: Mapping[Path, MergeRule]
) -> dict[str, Any]:
    directive = patch.pop(PATCH_DIRECTIVE, None)
    if directive == "replace":
        replaced: dict[str, Any] = _fresh(patch)
        return replaced
    if directive == "delete":
        return {}
    if directive is not None:
        raise MergePatchError(f"unknown $patch {directive!r} at {_where(path)}")
    if RETAIN_KEYS_DIRECTIVE in patch:
        _retain_keys(original, patch, path)
    for key, value in patch.items():
        if key.startswith("$"):
            raise MergePatchError(f"the directive {key!r} at {_where(path)} is not supported in a pod_override")
        if value is None:
            original.pop(key, None)
            continue
        current = original.get(key)
        here = (*path, key)
        if key not in original:
            original[key] = _fresh(value)
        elif isinstance(current, dict) and isinstance(value, dict):
            original[key] = _merge_map(current, value, here, rules)
        elif isinstance(current, list) and isinstance(value, list) and here in rules:
            original[key] = _merge_list(current, value, rules[here], here, rules)
        else:
            original[key] = _fresh(value)
    return original


def _retain_keys(original: dict[str, Any], patch: dict[str, Any], path: Path) -> None:
    retained = patch.pop(RETAIN_KEYS_DIRECTIVE)
    if not isinstance(retained, list):
        raise MergePatchError(f"$retainKeys at {_where(path)} must be a list of field names")
    for key, value in patch.items():
        if value is not None and not key.startswith("$") and key not in retained:
            raise MergePatchError(f"{key!r} at {_where(path)} is set but missing from $retainKeys")
    for key in [k for k in original if k not in retained]:
        del original[key]


def _merge_list(
    original: list[Any], patch: list[Any], rule: MergeRule, path: Path, rules: Mapping[Path, MergeRule]
) -> list[Any]:
    if rule.key is None:
        return _merge_scalars(original, patch)
    key = rule.key
    for item in (*original, *patch):
        if not isinstance(item, dict):
            raise MergePatchError(f"each entry of {_where(path)} must be a mapping, not {item!r}")
    entries: list[dict[str, Any]] = []
    for item in patch:
        directive = item.get(PATCH_DIRECTIVE)
        if directive is None:
            entries.append(item)
        elif directive == "delete":
            value = _key_of(item, key, path)
            original = [entry for entry in original if entry.get(key) != value]
        elif directive == "replace":
            return [_fresh(entry) for entry in patch if PATCH_DIRECTIVE not in entry]
        else:
            raise MergePatchError(f"unknown $patch {directive!r} in {_where(path)}")
    server_order = [_key_of(entry, key, path) for entry in original]
    merged = list(original)
    for item in entries:
        value = _key_of(item, key, path)
        found = next((i for i, entry in enumerate(merged) if key in entry and entry[key] == value), None)
        if found is None:
            merged.append(_fresh(item))
        else:
            merged[found] = _merge_map(merged[found], item, path, rules)
    patch_order = [entry[key] for entry in entries]
    in_patch = [entry for entry in merged if entry[key] in patch_order]
    server_only = [entry for entry in merged if entry[key] not in patch_order]
    in_patch.sort(key=lambda entry: patch_order.index(entry[key]))
    return _interleave(server_only, in_patch, server_order, key)


def _interleave(server_only: list[Any], in_patch: list[Any], server_order: list[Any], key: str | None) -> list[Any]:
    """The server's final order (apimachinery's mergeSortedSlice): the patch's entries in the patch's
    order; an original-only entry goes just before the first of them that the original listed after it,
    and a patch entry new to the list goes before every original-only entry still waiting."""

    def position(item: Any) -> int:
        value = item if key is None else item[key]
        return server_order.index(value) if value in server_order else -1

    result: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(in_patch):
        if j >= len(in_patch):
            result.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            result.append(in_patch[j])
            j += 1
        else:
            left, right = position(server_only[i]), position(in_patch[j])
            if left >= 0 and right >= 0 and left < right:
                result.append(server_only[i])
                i += 1
            else:
                result.append(in_patch[j])
                j += 1
    return result


def _merge_scalars(original: list[Any], patch: list[Any]) -> list[Any]:
    union: list[Any] = []
    for item in (*original, *patch):
        if item not in union:
            union.append(item)
    in_patch = sorted((item for item in union if item in patch), key=patch.index)
    server_only = [item for item in union if item not in patch]
    return _interleave(server_only, in_patch, original, None)


def _key_of(entry: Mapping[str, Any], key: str, path: Path) -> Any:
    if entry.get(key) is None:
        raise MergePatchError(f"each entry of {_where(path)} needs {key!r}: {dict(entry)!r}")
    return entry[key]


def _fresh(value: Any) -> Any:
    """A new value as the server stores it: nulls and directives dropped (nothing to delete or merge into)."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items() if v is not None and not k.startswith("$")}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value
