"""Fixtures of the Kubernetes test cluster, for the support's own tests."""

from .fixtures import *  # noqa: F403
