"""The retention rule for every app's personal data: the survey's and the campaigns', login
traces and finished background tasks. A project command, as it reaches into every app."""

import datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from campaigns import models as campaigns
from survey.collection.models import Response, erase_personal_data
from survey.questionnaire.models import Edition


def parse_date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Date invalide : {text!r} (format AAAA-MM-JJ).") from None


class Command(BaseCommand):
    help = (
        "Efface les données personnelles (survey.collection.models.PERSONAL_FIELDS : "
        "coordonnées des répondants, adresses des demandes d'accès, noms des autres "
        "structures, réponses qui décrivent la personne ; contacts importés, destinataires des "
        "messages et désinscriptions : campaigns.models.PERSONAL_FIELDS) des éditions closes "
        "avant DATE, et "
        "les traces de connexion à l'administration et les tâches de fond terminées "
        "antérieures à DATE. Les autres réponses sont conservées."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", type=parse_date, required=True, metavar="DATE")
        parser.add_argument("--dry-run", action="store_true", help="Compter sans rien effacer.")

    def handle(self, before, dry_run, **options):
        limit = timezone.make_aware(datetime.datetime.combine(before, datetime.time.min))
        if limit > timezone.now():
            raise CommandError("La date doit être passée.")
        responses = Response.objects.filter(edition__closes_at__lt=limit)
        login_traces = [
            AccessAttempt.objects.filter(attempt_time__lt=limit),
            AccessFailureLog.objects.filter(attempt_time__lt=limit),
            AccessLog.objects.filter(attempt_time__lt=limit),
            # Task rows hold message numbers only, but an error's traceback may quote an
            # address: every row finished, or enqueued, before the date goes.
            DBTaskResult.objects.filter(Q(finished_at__lt=limit) | Q(enqueued_at__lt=limit)),
        ]
        with transaction.atomic():
            if dry_run:
                count = responses.count()
                self.stdout.write(f"Données personnelles de {count} réponse(s) seraient effacées.")
                return
            counts = erase_personal_data(responses)
            counts |= campaigns.erase_personal_data(
                Edition.objects.filter(closes_at__lt=limit), limit
            )
            traces = sum(traces.delete()[0] for traces in login_traces)
        for label, count in counts.items():
            self.stdout.write(f"{label} : {count} effacé(s).")
        self.stdout.write(f"Traces de connexion et tâches terminées : {traces} effacée(s).")
