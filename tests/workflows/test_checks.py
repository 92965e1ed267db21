"""System checks report wrong engine settings with stable ids."""

from workflows.checks import check_settings


def _ids(settings_obj):
    return sorted(message.id for message in check_settings())


def test_default_settings_pass(settings):
    settings.WORKFLOWS_EXECUTORS = ["local"]
    assert _ids(settings) == []


def test_kubernetes_without_namespace_is_e001(settings):
    settings.WORKFLOWS_EXECUTORS = ["local", "kubernetes"]
    settings.WORKFLOWS_KUBERNETES_NAMESPACE = ""
    assert "workflows.E001" in _ids(settings)


def test_unknown_executor_is_e003(settings):
    settings.WORKFLOWS_EXECUTORS = ["warp_drive"]
    assert _ids(settings) == ["workflows.E003"]


def test_celery_with_in_memory_broker_is_e005(settings):
    settings.WORKFLOWS_EXECUTORS = ["celery"]
    settings.CELERY_BROKER_URL = "memory://"
    assert _ids(settings) == ["workflows.E005"]


def test_zombie_threshold_too_close_to_heartbeat_is_e006(settings):
    settings.WORKFLOWS_EXECUTORS = ["local"]
    settings.WORKFLOWS_HEARTBEAT_INTERVAL = 10
    settings.WORKFLOWS_ZOMBIE_THRESHOLD = 15
    assert _ids(settings) == ["workflows.E006"]


def test_empty_executor_list_is_e002(settings):
    settings.WORKFLOWS_EXECUTORS = []
    assert _ids(settings) == ["workflows.E002"]


def test_celery_closing_the_database_connection_after_every_try_is_w002(settings, monkeypatch):
    from celery import current_app

    settings.WORKFLOWS_EXECUTORS = ["celery"]
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert _ids(settings) == []
    monkeypatch.setitem(current_app.conf, "CELERY_DB_REUSE_MAX", None)
    assert _ids(settings) == ["workflows.W002"]
