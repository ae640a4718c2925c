from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "crmdp.messaging"
    label = "messaging"
