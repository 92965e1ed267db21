"""The one pattern of app settings: django-appconf declarations, read from django.conf.settings when used.

Each app's conf.py declares its settings once, with their defaults, on a subclass of `AppSettings`:

    class ChatSettings(AppSettings):
        # How many upcoming booked chats one member may hold as a guest, across all hosts.
        MAX_OPEN_BOOKINGS_PER_MEMBER = 3

        class Meta:
            prefix = "chats"

    app_settings = ChatSettings()

`app_settings.MAX_OPEN_BOOKINGS_PER_MEMBER` is `settings.CHATS_MAX_OPEN_BOOKINGS_PER_MEMBER` at the moment it
is read, else the default: django-appconf alone would freeze the value the module saw at import, and
override_settings (pytest's `settings` fixture) could not change it. A value is converted to the type of
its default (a number, a flag, a text), and a method `clean_<name>(value)` finishes it when it needs more
(a fallback to another setting, a lower bound). Lowercase properties derive other forms from settings.
"""

from typing import Any

from appconf import AppConf
from django.conf import settings


class AppSettings(AppConf):
    # django-appconf builds its classes without the cell that super() needs, hence object's own lookup.
    def __getattribute__(self, name: str) -> Any:
        if not name.isupper():
            return object.__getattribute__(self, name)
        meta = object.__getattribute__(self, "_meta")
        prefixed = meta.names.get(name)
        if prefixed is None:
            return object.__getattribute__(self, name)
        default = meta.defaults[prefixed]
        value = getattr(settings, prefixed, default)
        if isinstance(default, bool) and isinstance(value, str):
            # bool("false") is True: a flag given as text is read as the words people write for it.
            value = value.strip().lower() in {"1", "true", "yes", "on"}
        elif isinstance(default, bool | int | float | str) and value is not None:
            value = type(default)(value)
        clean = getattr(self, f"clean_{name.lower()}", None)
        return clean(value) if clean is not None else value
