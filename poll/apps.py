from django.apps import AppConfig


class PollConfig(AppConfig):
    name = "poll"
    verbose_name = "Sondage auprès des citoyens"
    # The « Observatoire » group follows the fieldwork (return addresses, quotas, sittings with
    # their flags, margins, weighting runs) and reads it; excluding a response, loading margins
    # and running the weights are changes, given to named people.
    observatoire_permissions = [
        "poll.view_fieldwork",
        "poll.view_quota",
        "poll.view_participation",
        "poll.view_margin",
        "poll.view_weightingrun",
    ]
