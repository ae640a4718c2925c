from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "crmdp.notes"
    label = "notes"
