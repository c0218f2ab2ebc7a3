from django.db import models


class QuestionKind(models.TextChoices):
    SINGLE_CHOICE = "single_choice", "Choix unique"
    MULTIPLE_CHOICE = "multiple_choice", "Choix multiple"
    SCALE = "scale", "Échelle"
    MATRIX = "matrix", "Matrice"
    INTEGER = "integer", "Nombre entier"
    DECIMAL = "decimal", "Nombre décimal"
    SHORT_TEXT = "short_text", "Texte court"
    LONG_TEXT = "long_text", "Texte long"
    YES_NO = "yes_no", "Oui / non"
    GROUP = "group", "Groupe répété"


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    SUBMITTED = "submitted", "Envoyée"


# The codes of a yes/no answer, so that display conditions treat it like a choice.
YES_CODE = "oui"
NO_CODE = "non"


class CollectiviteKind(models.TextChoices):
    COMMUNE = "commune", "Commune"
    EPCI = "epci", "EPCI"
    DEPARTEMENT = "departement", "Département"
    REGION = "region", "Région"
    STATUT_PARTICULIER = "statut_particulier", "Collectivité à statut particulier"


class PopulationBand(models.TextChoices):
    UNDER_3500 = "lt3500", "Moins de 3 500 habitants"
    FROM_3500_TO_10000 = "3500-10000", "De 3 500 à 10 000 habitants"
    FROM_10000_TO_100000 = "10000-100000", "De 10 000 à 100 000 habitants"
    OVER_100000 = "gt100000", "Plus de 100 000 habitants"

    @classmethod
    def for_population(cls, population):
        if population < 3500:
            return cls.UNDER_3500
        if population < 10000:
            return cls.FROM_3500_TO_10000
        if population <= 100000:
            return cls.FROM_10000_TO_100000
        return cls.OVER_100000


class Audience(models.TextChoices):
    """Who answers a survey."""

    COLLECTIVITES = "collectivites", "Collectivités territoriales"
    CITOYENS = "citoyens", "Citoyens"


class Lineage(models.TextChoices):
    """How a question continues a question of an earlier edition (questionnaires/README.md)."""

    NEW = "new", "Nouvelle question"
    IDENTICAL = "identical", "Identique"
    REWORDED = "reworded", "Libellé modifié, comparable"
    RECODED = "recoded", "Réponses recodées, comparable"
    SCOPE_CHANGED = "scope_changed", "Périmètre modifié, non comparable"

    @classmethod
    def comparable(cls):
        """The relations whose estimates may be shown side by side as a trend."""
        return [cls.IDENTICAL, cls.REWORDED, cls.RECODED]
