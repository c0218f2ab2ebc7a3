import datetime
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.timezone import localtime

from poll.journey import SURVEY
from poll.models import Fieldwork
from survey.management.commands.set_edition_dates import aware_datetime
from survey.management.editions import find_edition

LOCAL_INSTITUTE = "Essai local (pas d’institut)"


class Command(BaseCommand):
    help = (
        "Essai local (LOCAL_TRIAL) : ouvre le sondage citoyen de l'année dans la base locale, "
        "avec un terrain dont les adresses de retour mènent au site lui-même, et affiche un "
        "lien de test. Refusé hors essai local."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=2025)
        parser.add_argument(
            "--closes-at",
            type=aware_datetime,
            help="Clôture du terrain d'essai (défaut : dans un an).",
        )

    def handle(self, year, closes_at, **options):
        # The return addresses and the dates are a trial's: never in a real database.
        if not (settings.LOCAL_TRIAL and settings.DEBUG):
            raise CommandError(
                "Cette commande ne sert qu'à l'essai local (make demo, LOCAL_TRIAL=1) : "
                "le terrain d'un vrai sondage se règle dans l'administration (Terrains du sondage)."
            )
        edition = find_edition(year, SURVEY)
        now = timezone.now()
        edition.opens_at = min(edition.opens_at, now)
        edition.closes_at = closes_at or now + datetime.timedelta(days=365)
        if edition.closes_at <= now:
            raise CommandError("La clôture de l'essai doit être dans le futur.")
        edition.save(update_fields=["opens_at", "closes_at"])
        back = settings.SITE_URL.rstrip("/") + "/?retour-panel={outcome}&pid={{pid}}"
        fieldwork, created = Fieldwork.objects.get_or_create(
            edition=edition,
            defaults={
                "institute": LOCAL_INSTITUTE,
                "complete_url": back.format(outcome="complet"),
                "screenout_url": back.format(outcome="hors-cible"),
                "quotafull_url": back.format(outcome="quota-atteint"),
            },
        )
        closes = localtime(edition.closes_at)
        self.stdout.write(
            f"{edition.title} ({edition.survey.code}) ouvert jusqu'au {closes:%d/%m/%Y %H:%M}, "
            + ("terrain d'essai créé." if created else f"terrain existant ({fieldwork.institute}).")
        )
        panel_id = f"essai-{secrets.token_hex(4)}"
        suffix = f"&sig={fieldwork.signature(panel_id)}" if fieldwork.link_secret else ""
        self.stdout.write(
            f"Lien de test du sondage : {settings.SITE_URL.rstrip('/')}/sondage/?pid={panel_id}"
            f"{suffix}\n(un identifiant ne sert qu'une fois : changez ce qui suit « pid= » "
            "pour un autre essai)"
        )
