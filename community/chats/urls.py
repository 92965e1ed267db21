from django.urls import path

from community.chats import views

app_name = "chats"

urlpatterns = [
    path("", views.host_list, name="hosts"),
    path("mine/", views.my_chats, name="mine"),
    path("host/", views.host_settings, name="host_settings"),
    path("host/blocked/", views.block_date, name="block_date"),
    path("host/blocked/<str:day>/remove/", views.unblock_date, name="unblock_date"),
    path("hosts/<slug:slug>/", views.host_detail, name="host"),
    path("hosts/<slug:slug>/book/", views.book, name="book"),
    path("<int:pk>/", views.chat_detail, name="detail"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:pk>/outcome/", views.outcome, name="outcome"),
]
