"""The engine installed alone, as another project would: Django's contrib apps and `workflows`, nothing of wicn.

Used by test_standalone.py in a process of its own (DJANGO_SETTINGS_MODULE=tests.workflows.standalone_settings),
with standalone_urls.py as its URLconf: the engine's pages under /workflows/.
"""

import os
import tempfile
from pathlib import Path

SECRET_KEY = "standalone-workflows-test"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "workflows",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.workflows.standalone_urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_DATABASE = os.environ.get("WORKFLOWS_STANDALONE_DATABASE") or str(Path(tempfile.mkdtemp()) / "workflows.sqlite3")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _DATABASE,
        # The scheduler and its forked workers write to one file: they wait their turn instead of failing.
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
    }
}

WORKFLOWS_EXECUTORS = ["local"]
WORKFLOWS_LOCAL_PARALLELISM = 2
WORKFLOWS_DAG_MODULES = ["tests.workflows.standalone_dags"]
WORKFLOWS_SCHEDULER_MAX_SLEEP = 0.05
