from django.conf import settings
from django.db import models


class Ticket(models.Model):
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, default="open")

    def __str__(self) -> str:
        return self.title
