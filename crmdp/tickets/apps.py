from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "crmdp.tickets"
    label = "tickets"
