app_name = "chats"

urlpatterns: list = []
