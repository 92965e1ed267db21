from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from workflows import checks  # noqa: F401 - registers the system checks
        from workflows.kubernetes import checks as kubernetes_checks  # noqa: F401 - the Kubernetes executor's
