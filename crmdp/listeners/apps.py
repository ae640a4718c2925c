from django.apps import AppConfig


class ListenersConfig(AppConfig):
    name = "crmdp.listeners"
    label = "listeners"
