from django.apps import AppConfig


class ChatsConfig(AppConfig):
    name = "community.chats"
    label = "chats"
    verbose_name = "Coffee chats"

    def ready(self) -> None:
        from community.calendar.registry import register_event_source
        from community.chats.calendar import booked_chat_events

        register_event_source("chats", booked_chat_events)
