from django.db import models


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: anyone can see my profile"
    MEMBERS = "members", "Members only: signed-in members can see my profile"
