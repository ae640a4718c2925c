from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "crmdp.history"
    label = "history"
