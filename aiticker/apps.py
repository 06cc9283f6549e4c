from django.apps import AppConfig


class AiTickerConfig(AppConfig):
    name = "aiticker"
    verbose_name = "Ticker"
    default_auto_field = "django.db.models.BigAutoField"
