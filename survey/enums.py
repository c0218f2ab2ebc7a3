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

    @classmethod
    def with_choices(cls):
        """Kinds whose answers are codes taken from the question's Choice rows."""
        return {cls.SINGLE_CHOICE, cls.MULTIPLE_CHOICE, cls.SCALE, cls.MATRIX}


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    SUBMITTED = "submitted", "Envoyée"


# The codes of a yes/no answer, so that display conditions treat it like a choice.
YES_CODE = "oui"
NO_CODE = "non"
