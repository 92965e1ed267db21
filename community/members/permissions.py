"""Who may do what. Builders (staff) run the community; everyone else is a member."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def is_builder(user: Any) -> bool:
    """Whether `user` (a member, an anonymous visitor or None) is a builder: the rule is `User.is_builder`."""
    return bool(user and user.is_authenticated and user.is_builder)


def builder_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors are sent to log in; signed-in members who are not builders get 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_builder(request.user):
            raise PermissionDenied("Only community builders can open this page.")
        return view(request, *args, **kwargs)

    return wrapped
