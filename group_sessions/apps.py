from django.apps import AppConfig


class GroupSessionsConfig(AppConfig):
    name = "group_sessions"
    verbose_name = "Live group sessions"
