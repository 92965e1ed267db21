"""The Celery application: workers run workflow task tries sent by the Celery executor."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("wicn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
