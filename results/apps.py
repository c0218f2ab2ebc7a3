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

    def ready(self):
        # The exports know nothing of the results: each response's weight closes the
        # collectivités' wide table, and the published estimates join the open-data package.
        from results.exports import WeightCells, open_data_estimates, weight_columns
        from survey.enums import Audience
        from survey.exports.extensions import register_columns, register_open_data_resource

        register_columns("results.weights", Audience.COLLECTIVITES, weight_columns, WeightCells)
        register_open_data_resource("results.estimates", open_data_estimates)
