from django.apps import AppConfig


class PollConfig(AppConfig):
    name = "poll"
    verbose_name = "Sondage auprès des citoyens"
