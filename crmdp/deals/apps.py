from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "crmdp.deals"
    label = "deals"
