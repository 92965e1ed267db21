"""The URLconf of standalone_settings.py: only the engine's pages."""

from django.urls import include, path

urlpatterns = [path("workflows/", include("workflows.urls"))]
