from django.apps import AppConfig


class RefreshTokensConfig(AppConfig):
    name = "refresh_tokens"
    verbose_name = "refresh tokens at rest"

    def ready(self):
        from refresh_tokens import storage

        storage.connect()
