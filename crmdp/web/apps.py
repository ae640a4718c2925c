from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "crmdp.web"
    label = "web"
