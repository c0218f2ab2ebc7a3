from django.apps import AppConfig


class PollConfig(AppConfig):
    name = "poll"
    verbose_name = "Sondage auprès des citoyens"

    def ready(self):
        # The exports know nothing of the poll: each sitting's outcome, quality flags,
        # exclusion and weight close the poll's wide table.
        from poll.exports import ParticipationCells, participation_columns
        from survey.enums import Audience
        from survey.exports.extensions import register_columns

        register_columns(
            "poll.participation", Audience.CITOYENS, participation_columns, ParticipationCells
        )
