from django.apps import AppConfig
from django.core import checks


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Envoi des courriels"
    # The « Observatoire » group reads the delivery log (barometre/group_permissions).
    observatoire_permissions = ["outbox.view_message"]

    def ready(self):
        from outbox import kinds

        # Every kind of message is declared by the app that sends it (from its own ready()),
        # with its three templates: a kind left without them stops `check`, `migrate` and the
        # server before any email is written.
        checks.register(kinds.check_declared, checks.Tags.templates)
