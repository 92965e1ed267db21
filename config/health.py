"""Liveness and readiness probes for process managers and Kubernetes.

Both are public, so their answers name only which check failed; the reason (host names, driver
messages) goes to the log, where operators look and visitors cannot.
"""

import logging

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests; checks nothing else on purpose."""
    return JsonResponse({"status": "ok"})


def _database_answers() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "not ready"; the log keeps the reason
        logger.warning("readiness: database check failed", exc_info=True)
        return False
    return True


def _redis_answers() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
    except Exception:  # any failure means "not ready"; the log keeps the reason
        logger.warning("readiness: redis check failed", exc_info=True)
        return False
    return True


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database answers, and Redis too when one is configured."""
    checks = {"database": _database_answers}
    if settings.REDIS_URL:
        checks["redis"] = _redis_answers
    failing = [name for name, answers in checks.items() if not answers()]
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok", "failing": []})
