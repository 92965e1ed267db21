from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"
    # The engine's migrations create 64-bit keys whatever a project's DEFAULT_AUTO_FIELD says.
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from workflows import checks  # noqa: F401 - registers the system checks (and puts the settings' defaults)
        from workflows.kubernetes import checks as kubernetes_checks  # noqa: F401 - the Kubernetes executor's
