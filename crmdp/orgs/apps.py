from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "crmdp.orgs"
    label = "orgs"
    verbose_name = "Orgs, users and catalogs"
