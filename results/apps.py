from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = "Résultats"

    def ready(self):
        # The exports know nothing of the results: each response's weight closes the
        # collectivités' wide table, and the published estimates join the open-data package.
        from results.exports import WeightCells, open_data_estimates, weight_columns
        from survey.enums import Audience
        from survey.exports.extensions import register_columns, register_open_data_resource

        register_columns("results.weights", Audience.COLLECTIVITES, weight_columns, WeightCells)
        register_open_data_resource("results.estimates", open_data_estimates)
