"""The executor's pod_override merge against the API server's own strategic merge patch.

For each override, a PodTemplate made from the base pod is PATCHed by the server
(`application/strategic-merge-patch+json`, with the patch the executor applies), and a second
PodTemplate is created from the executor's merged pod. Both pass through the same server defaulting,
so their templates must be equal field for field, list order included.
"""

import copy
import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from kubernetes import client

from workflows.kubernetes.pods import merge_pods, pod_patch

pytestmark = [pytest.mark.kube]

TEMPLATE_PATH = Path(__file__).resolve().parents[3] / "deploy" / "kubernetes" / "base" / "pod-template.yaml"
SCHEMA_VERSION = kubernetes_validate.utils.latest_version()
SMP = "application/strategic-merge-patch+json"


def base_pod():
    """The project's pod template, with one of each list the cases below merge into."""
    pod = yaml.safe_load(TEMPLATE_PATH.read_text())
    pod["metadata"]["annotations"] = {"owner": "builders", "cost-centre": "community"}
    pod["metadata"]["finalizers"] = ["wicn.example/archive"]
    spec = pod["spec"]
    spec["nodeSelector"] = {"pool": "general"}
    spec["imagePullSecrets"] = [{"name": "registry"}]
    spec["hostAliases"] = [{"ip": "10.0.0.1", "hostnames": ["db.internal"]}]
    spec["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}]
    spec["topologySpreadConstraints"] = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "wicn"}},
        }
    ]
    spec["affinity"] = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 10,
                    "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]},
                }
            ]
        }
    }
    spec["initContainers"] = [
        {
            "name": "migrate",
            "image": "wicn-worker:latest",
            "command": ["python", "manage.py", "migrate"],
            "env": [{"name": "DJANGO_SETTINGS_MODULE", "value": "config.settings"}],
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
    ]
    base = spec["containers"][0]
    base["ports"] = [{"containerPort": 8000, "name": "http"}]
    spec["volumes"].append({"name": "settings", "configMap": {"name": "wicn-settings"}})
    return pod


def base_env(*changes):
    return [{"name": "base", "env": list(changes)}]


CASES = {
    "env-by-name-changed-and-added": {
        "spec": {"containers": base_env({"name": "PYTHONUNBUFFERED", "value": "0"}, {"name": "FEATURE", "value": "on"})}
    },
    "env-reordered-by-the-patch": {
        "spec": {
            "containers": base_env(
                {"name": "KUBERNETES_NAMESPACE", "value": "wicn-jobs", "valueFrom": None},
                {"name": "FEATURE", "value": "on"},
                {"name": "DJANGO_SETTINGS_MODULE", "value": "config.settings_worker"},
            )
        }
    },
    "finalizers-united": {"metadata": {"finalizers": ["wicn.example/audit", "wicn.example/archive"]}},
    "env-entry-deleted-by-directive": {
        "spec": {"containers": base_env({"name": "PYTHONUNBUFFERED", "$patch": "delete"})},
    },
    "new-container-and-new-init-container": {
        "spec": {
            "containers": [{"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "1"]}],
            "initContainers": [{"name": "warm", "image": "busybox:1.36"}],
        }
    },
    "init-container-env-and-mounts-merged": {
        "spec": {
            "initContainers": [
                {
                    "name": "migrate",
                    "env": [{"name": "MIGRATE_TIMEOUT", "value": "60"}],
                    "volumeMounts": [
                        {"name": "tmp", "mountPath": "/tmp", "readOnly": True},
                        {"name": "settings", "mountPath": "/etc/wicn"},
                    ],
                }
            ]
        }
    },
    "volume-source-changed-and-volume-added-with-mount": {
        "spec": {
            "volumes": [{"name": "tmp", "configMap": {"name": "scratch"}}, {"name": "data", "emptyDir": {}}],
            "containers": [{"name": "base", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
        }
    },
    "ports-by-container-port": {
        "spec": {
            "containers": [
                {
                    "name": "base",
                    "ports": [{"containerPort": 9000, "name": "metrics"}, {"containerPort": 8000, "name": "web"}],
                }
            ]
        }
    },
    "image-pull-secrets-by-name": {"spec": {"imagePullSecrets": [{"name": "mirror"}]}},
    "host-aliases-by-ip": {
        "spec": {
            "hostAliases": [
                {"ip": "10.0.0.1", "hostnames": ["primary.internal"]},
                {"ip": "10.0.0.2", "hostnames": ["replica.internal"]},
            ]
        }
    },
    "toleration-replaces-the-other": {
        "spec": {"tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]},
    },
    "env-from-replaced": {
        "spec": {"containers": [{"name": "base", "envFrom": [{"configMapRef": {"name": "wicn-flags"}}]}]},
    },
    "topology-spread-by-topology-key": {
        "spec": {
            "topologySpreadConstraints": [
                {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway"},
                {"maxSkew": 2, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule"},
            ]
        }
    },
    "resources-limit-by-limit": {
        "spec": {
            "containers": [{"name": "base", "resources": {"limits": {"cpu": "2"}, "requests": {"memory": "384Mi"}}}]
        },
    },
    "security-contexts-merged": {
        "spec": {
            "securityContext": {"runAsUser": 20001, "supplementalGroups": [4000]},
            "containers": [{"name": "base", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]}}}],
        }
    },
    "null-deletes-fields": {
        "metadata": {"labels": {"app.kubernetes.io/component": None}},
        "spec": {
            "nodeSelector": None,
            "containers": [{"name": "base", "resources": {"limits": None}, "workingDir": None}],
        },
    },
    "labels-and-annotations-merged": {
        "metadata": {"labels": {"team": "mentorship"}, "annotations": {"owner": "mentorship", "ticket": "42"}},
    },
    "affinity-merged-recursively": {
        "spec": {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                        ]
                    }
                },
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 50,
                            "podAffinityTerm": {
                                "topologyKey": "kubernetes.io/hostname",
                                "labelSelector": {"matchLabels": {"app.kubernetes.io/component": "worker"}},
                            },
                        }
                    ]
                },
            }
        }
    },
    "scalars-win-and-command-replaced": {
        "spec": {
            "terminationGracePeriodSeconds": 5,
            "initContainers": [{"name": "migrate", "command": ["python", "manage.py", "migrate", "--noinput"]}],
        }
    },
}


def template_body(name, pod):
    return {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": name},
        "template": {"metadata": pod.get("metadata") or {}, "spec": pod["spec"]},
    }


def read(response):
    return json.loads(response.data)["template"]


@pytest.mark.parametrize("override", list(CASES.values()), ids=list(CASES))
def test_merged_pod_equals_the_servers_strategic_merge(kube_api, kube_namespace, override):
    core = client.CoreV1Api(kube_api)
    base = base_pod()
    merged = merge_pods(base, override)
    kubernetes_validate.validate(merged, SCHEMA_VERSION, strict=True)

    before = read(
        core.create_namespaced_pod_template(kube_namespace, template_body("patched", base), _preload_content=False)
    )
    patch = pod_patch(override)
    body = {"template": {k: v for k, v in patch.items() if k in ("metadata", "spec")}}
    by_server = read(
        core.patch_namespaced_pod_template(
            "patched", kube_namespace, copy.deepcopy(body), _content_type=SMP, _preload_content=False
        )
    )
    by_executor = read(
        core.create_namespaced_pod_template(kube_namespace, template_body("merged", merged), _preload_content=False)
    )

    assert by_server != before
    assert by_executor == by_server
