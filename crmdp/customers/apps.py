from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "crmdp.customers"
    label = "customers"
