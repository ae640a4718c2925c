from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "crmdp.api"
    label = "api"
