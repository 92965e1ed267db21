from django.apps import AppConfig


class ChatsConfig(AppConfig):
    name = "community.chats"
    label = "chats"
    verbose_name = "Coffee chats"
