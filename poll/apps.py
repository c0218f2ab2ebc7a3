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

    def ready(self):
        # The exports and the results know nothing of the poll: each sitting's outcome, quality
        # flags, exclusion and weight close the poll's wide table; the results pages of a year
        # link to the crossing.
        from poll.crossing import public_results_context, staff_results_context
        from poll.exports import ParticipationCells, participation_columns
        from results.extensions import register_page_context
        from survey.enums import Audience
        from survey.exports.extensions import register_columns

        register_columns(
            "poll.participation", Audience.CITOYENS, participation_columns, ParticipationCells
        )
        register_page_context("public_results", "poll.crossing", public_results_context)
        register_page_context("staff_index", "poll.crossing", staff_results_context)
