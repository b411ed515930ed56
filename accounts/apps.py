from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from . import renderers  # noqa: F401  # registers the outbox renderers of accounts' emails
