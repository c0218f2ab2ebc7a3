"""Plausible responses in bulk, to measure the admin and the exports at national scale."""

import datetime
import random
import time
from itertools import batched

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from survey import numbers
from survey.collection.models import Answer, Respondent, Response, ResponseSubmission
from survey.collectivites.models import Collectivite
from survey.enums import Audience, ResponseStatus
from survey.management.editions import add_survey_argument, find_edition, find_survey
from survey.questionnaire.models import Edition

TEXTS = [
    "Un agent conversationnel pour l'accueil téléphonique.",
    "Analyse automatique des demandes des usagers ; tri du courrier.",
    "Expérimentation d'un outil d'aide à la rédaction des comptes rendus.",
    "Détection des fuites sur le réseau d'eau à partir des données des capteurs.",
    "Nous manquons de temps et de compétences pour aller plus loin.",
    "Projet mutualisé avec l'intercommunalité, encore au stade du test.",
]
FIRST_NAMES = ["Camille", "Dominique", "Claude", "Alix", "Sacha", "Morgan", "Léa", "Karim"]
LAST_NAMES = ["Martin", "Bernard", "Moreau", "Diallo", "Nguyen", "Lefèvre", "Garcia", "Roux"]
ROLES = ["DGS", "DSI", "Chargé·e de mission données", "Élu·e au numérique", "Secrétaire de mairie"]


class ResponseMaker:
    """Answers that respect display conditions, exclusive choices, maxima and requirements."""

    def __init__(self, questions, rng):
        self.questions = questions
        self.rng = rng

    def answers(self, complete):
        """({code: cleaned value}, progress) of one response; drafts stop part-way."""
        values = {}
        stop = len(self.questions) if complete else self.rng.randrange(len(self.questions) + 1)
        for question in self.questions[:stop]:
            if not question.is_shown(values):
                continue
            if not question.required and self.rng.random() < 0.15:
                continue
            raw = self.raw_value(question)
            try:
                cleaned = question.clean_answer(raw)
                if complete:
                    question.check_required(cleaned)
            except ValidationError as error:
                raise CommandError(
                    f"Réponse générée refusée pour « {question.code} » ({raw!r}) : "
                    f"{' '.join(error.messages)}"
                ) from None
            if cleaned is not None:
                values[question.code] = cleaned
        shown = [question for question in self.questions if question.is_shown(values)]
        answered = sum(1 for question in shown if question.code in values)
        return values, round(100 * answered / len(shown)) if shown else 0

    def raw_value(self, question):
        return question.kind_class.fake_value(question, self)

    def text(self, question):
        text = self.rng.choice(TEXTS)
        return text[: question.max_length] if question.max_length else text

    @staticmethod
    def weight(choice):
        return 0.15 if choice.is_dont_know or choice.is_other else 1

    def other(self, choice):
        return f"Précision libre n° {self.rng.randint(1, 999)}" if choice.is_other else ""


class Command(BaseCommand):
    help = "Crée N réponses plausibles (brouillons et envoyées) pour des collectivités existantes."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument(
            "--edition", type=int, help="Année de l'édition (défaut : la dernière de l'enquête)."
        )
        add_survey_argument(parser)
        parser.add_argument(
            "--submitted-share", type=float, default=0.7, help="Part de réponses envoyées."
        )
        parser.add_argument("--seed", type=int, default=None, help="Graine, pour rejouer.")

    def handle(self, *args, **options):
        count = options["count"]
        if count < 1:
            raise CommandError("--count doit être positif.")
        edition = self._edition(options["edition"], options["survey"])
        questions = list(
            edition.questions.filter(is_active=True)
            .prefetch_related("choices", "items")
            .order_by("section__position", "position")
        )
        if not questions:
            raise CommandError(f"L'édition {edition.year} n'a aucune question active.")
        by_id = {question.pk: question for question in questions}
        for question in questions:
            if question.condition_question_id:
                question.condition_question = by_id[question.condition_question_id]

        taken = Response.objects.filter(edition=edition, collectivite__isnull=False).values(
            "collectivite"
        )
        free = list(Collectivite.objects.exclude(pk__in=taken).values_list("pk", flat=True))
        if len(free) < count:
            raise CommandError(
                f"Seulement {len(free)} collectivité(s) sans réponse pour l'édition "
                f"{edition.year} : une réponse au plus par collectivité. Chargez les "
                "collectivités (load_collectivites) ou demandez moins de réponses."
            )
        rng = random.Random(options["seed"])
        maker = ResponseMaker(questions, rng)
        started = time.monotonic()
        created = 0
        for chunk in batched(rng.sample(free, count), 1000):
            created += self._create(edition, maker, chunk, options["submitted_share"], rng)
        self.stdout.write(
            f"{numbers.integer(created)} réponses créées pour l'édition {edition.year} "
            f"en {numbers.decimal_number(time.monotonic() - started, 1)} s."
        )

    def _edition(self, year, survey):
        # Responses for collectivités of the official list: the collectivités' surveys only.
        if year is not None:
            return find_edition(year, survey, audience=Audience.COLLECTIVITES)
        edition = Edition.objects.current(find_survey(survey, Audience.COLLECTIVITES).code)
        if edition is None:
            raise CommandError(
                "Édition introuvable : chargez d'abord un questionnaire (load_questionnaire)."
            )
        return edition

    @transaction.atomic
    def _create(self, edition, maker, collectivite_ids, submitted_share, rng):
        start = edition.opens_at
        end = max(min(edition.closes_at, timezone.now()), start + datetime.timedelta(days=1))
        span = (end - start).total_seconds()
        responses, answer_sets, dates = [], [], []
        for collectivite_id in collectivite_ids:
            complete = rng.random() < submitted_share
            values, progress = maker.answers(complete)
            created_at = start + datetime.timedelta(seconds=rng.uniform(0, span * 0.9))
            updated_at = min(created_at + datetime.timedelta(hours=rng.uniform(0.1, 96)), end)
            responses.append(
                Response(
                    edition=edition,
                    collectivite_id=collectivite_id,
                    status=ResponseStatus.SUBMITTED if complete else ResponseStatus.DRAFT,
                    submitted_at=updated_at if complete else None,
                    progress=progress,
                )
            )
            answer_sets.append(values)
            dates.append((created_at, updated_at))
        Response.objects.bulk_create(responses)
        # auto_now fields were set to now by bulk_create; bulk_update leaves them as given.
        for response, (created_at, updated_at) in zip(responses, dates, strict=True):
            response.created_at, response.updated_at = created_at, updated_at
        Response.objects.bulk_update(responses, ["created_at", "updated_at"], batch_size=500)

        codes = {question.code: question.pk for question in maker.questions}
        answers = (
            Answer(response=response, question_id=codes[code], value=value)
            for response, values in zip(responses, answer_sets, strict=True)
            for code, value in values.items()
        )
        for batch in batched(answers, 5000):
            Answer.objects.bulk_create(batch)
        Respondent.objects.bulk_create(
            Respondent(
                response=response,
                email=f"agent{response.pk}@collectivite.example.fr",
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                role=rng.choice(ROLES),
            )
            for response in responses
        )
        ResponseSubmission.objects.bulk_create(
            ResponseSubmission(response=response, submitted_at=response.submitted_at)
            for response in responses
            if response.submitted_at
        )
        return len(responses)
