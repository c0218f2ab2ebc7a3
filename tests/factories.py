import datetime

import factory
from django.utils import timezone

from survey.collection.models import Response
from survey.collectivites.models import Collectivite
from survey.collectivites.search import search_text_for
from survey.enums import CollectiviteKind, PopulationBand, QuestionKind
from survey.questionnaire.models import Choice, Edition, MatrixItem, Question, Section


class EditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Edition

    year = factory.Sequence(lambda n: 2100 + n)
    title = factory.LazyAttribute(lambda o: f"Baromètre {o.year}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    edition = factory.SubFactory(EditionFactory)
    position = factory.Sequence(lambda n: n + 1)
    slug = factory.Sequence(lambda n: f"section-{n}")
    title = factory.Sequence(lambda n: f"Section {n}")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question
        skip_postgeneration_save = True

    section = factory.SubFactory(SectionFactory)
    edition = factory.SelfAttribute("section.edition")
    position = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"q{n}")
    text = factory.Sequence(lambda n: f"Question {n} ?")
    kind = QuestionKind.SHORT_TEXT

    @factory.post_generation
    def choices(self, create, extracted, **kwargs):
        """choices=["a", "b", ("nsp", {"is_exclusive": True})]"""
        for position, entry in enumerate(extracted or [], start=1):
            code, flags = entry if isinstance(entry, tuple) else (entry, {})
            Choice.objects.create(
                question=self, code=code, label=code.capitalize(), position=position, **flags
            )

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        for position, code in enumerate(extracted or [], start=1):
            MatrixItem.objects.create(
                question=self, code=code, label=code.capitalize(), position=position
            )


class CollectiviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collectivite

    kind = CollectiviteKind.COMMUNE
    siren = factory.Sequence(lambda n: f"{210000000 + n:09d}")
    insee_code = factory.Sequence(lambda n: f"{10000 + n:05d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    departement_code = "69"
    region_code = "84"
    population = 5000
    population_band = factory.LazyAttribute(lambda o: PopulationBand.for_population(o.population))
    search_text = factory.LazyAttribute(lambda o: search_text_for(o.kind, o.name))


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    edition = factory.SubFactory(EditionFactory)
