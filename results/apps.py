from django.apps import AppConfig

from results import permissions


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = "Résultats"
    # The « Observatoire » group follows the collection (the coverage page, the frozen frames)
    # and reads the weighted results; publishing questions is given person by person.
    observatoire_permissions = [
        permissions.VIEW_COVERAGE,
        "results.view_frame",
        "results.view_framestratum",
        permissions.VIEW_RESULTS,
        "results.view_computation",
        "results.view_publication",
    ]
