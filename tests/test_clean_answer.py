from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from survey.enums import QuestionKind
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def refused(question, value):
    with pytest.raises(ValidationError) as error:
        question.clean_answer(value)
    return error.value.messages[0]


@pytest.fixture
def single():
    return QuestionFactory(
        kind=QuestionKind.SINGLE_CHOICE, choices=["oui", "non", ("autre", {"is_other": True})]
    )


@pytest.fixture
def multiple():
    return QuestionFactory(
        kind=QuestionKind.MULTIPLE_CHOICE,
        max_choices=2,
        choices=["a", "b", "c", ("autre", {"is_other": True}), ("nsp", {"is_exclusive": True})],
    )


def test_single_choice_accepts_a_known_code(single):
    assert single.clean_answer({"choice": "oui"}) == {"choice": "oui"}
    assert single.clean_answer("non") == {"choice": "non"}


def test_single_choice_refuses_an_unknown_code(single):
    assert "ne fait pas partie des choix" in refused(single, {"choice": "peut-etre"})


def test_other_choice_without_text_is_refused(single):
    assert "précisez" in refused(single, {"choice": "autre"})
    assert "précisez" in refused(single, {"choice": "autre", "other": "   "})


def test_other_choice_keeps_its_text_and_drops_text_of_other_choices(single):
    assert single.clean_answer({"choice": "autre", "other": " Régie "}) == {
        "choice": "autre",
        "other": "Régie",
    }
    assert single.clean_answer({"choice": "oui", "other": "ignoré"}) == {"choice": "oui"}


def test_multiple_choice_keeps_question_order(multiple):
    assert multiple.clean_answer({"choices": ["b", "a"]}) == {"choices": ["a", "b"]}


def test_exclusive_choice_cannot_be_combined(multiple):
    assert "ne peut pas être combiné" in refused(multiple, {"choices": ["a", "nsp"]})
    assert multiple.clean_answer({"choices": ["nsp"]}) == {"choices": ["nsp"]}


def test_maximum_number_of_choices_is_enforced(multiple):
    assert "au plus 2" in refused(multiple, {"choices": ["a", "b", "c"]})


def test_multiple_choice_refuses_unknown_codes_and_wrong_types(multiple):
    assert "ne font pas partie" in refused(multiple, {"choices": ["a", "zzz"]})
    assert refused(multiple, {"choices": "a"})
    assert refused(multiple, {"choices": [1, 2]})


def test_multiple_other_needs_its_text(multiple):
    assert "précisez" in refused(multiple, {"choices": ["autre"]})


def test_an_inactive_choice_is_no_longer_accepted(single):
    single.choices.filter(code="non").update(is_active=False)
    single.refresh_from_db()
    assert "ne fait pas partie" in refused(single, "non")


def test_scale_takes_one_point_of_the_scale():
    scale = QuestionFactory(kind=QuestionKind.SCALE, choices=["faible", "moyen", "fort"])
    assert scale.clean_answer("moyen") == {"choice": "moyen"}
    assert refused(scale, "tres-fort")


def test_matrix_rates_each_item_on_the_scale():
    matrix = QuestionFactory(
        kind=QuestionKind.MATRIX, choices=["bas", "haut"], items=["cout", "delai"]
    )
    assert matrix.clean_answer({"delai": "haut", "cout": "bas"}) == {"cout": "bas", "delai": "haut"}
    assert "ligne" in refused(matrix, {"inconnue": "bas"})
    assert "échelle" in refused(matrix, {"cout": "moyen"})


def test_required_matrix_needs_every_item():
    matrix = QuestionFactory(
        kind=QuestionKind.MATRIX, required=True, choices=["bas", "haut"], items=["cout", "delai"]
    )
    with pytest.raises(ValidationError, match="Delai"):
        matrix.check_required(matrix.clean_answer({"cout": "bas"}))


def test_integer_within_bounds():
    question = QuestionFactory(kind=QuestionKind.INTEGER, min_value=0, max_value=1000)
    assert question.clean_answer("1 000") == 1000
    assert question.clean_answer(12) == 12
    assert "inférieur ou égal à 1\u202f000" in refused(question, 1001)
    assert "supérieur ou égal à 0" in refused(question, -1)
    assert "entier" in refused(question, "12,5")
    assert "entier" in refused(question, True)


def test_decimal_accepts_a_french_comma_and_checks_bounds():
    question = QuestionFactory(
        kind=QuestionKind.DECIMAL, min_value=Decimal("0"), max_value=Decimal("100")
    )
    assert question.clean_answer("12,5") == "12.5"
    assert "inférieur ou égal à 100" in refused(question, "100,01")
    assert "nombre" in refused(question, "douze")
    assert "nombre" in refused(question, "NaN")


def test_text_longer_than_the_limit_is_refused():
    question = QuestionFactory(kind=QuestionKind.SHORT_TEXT, max_length=10)
    assert question.clean_answer("  court  ") == "court"
    assert "trop long" in refused(question, "x" * 11)


def test_long_text_refuses_nul_bytes_and_non_text():
    question = QuestionFactory(kind=QuestionKind.LONG_TEXT)
    assert "caractère non autorisé" in refused(question, "a\x00b")
    assert "texte" in refused(question, 42)


def test_yes_no_takes_booleans_and_french_words():
    question = QuestionFactory(kind=QuestionKind.YES_NO)
    assert question.clean_answer(True) is True
    assert question.clean_answer("non") is False
    assert "oui ou par non" in refused(question, "peut-être")


def test_empty_values_mean_no_answer_and_required_questions_say_so():
    question = QuestionFactory(kind=QuestionKind.SHORT_TEXT, required=True)
    assert question.clean_answer("") is None
    assert question.clean_answer("   ") is None
    with pytest.raises(ValidationError, match="obligatoire"):
        question.check_required(None)


# Digits Python's int() or str.isdigit() take but a respondent never means: superscripts
# (« ² » is the top-left key of an AZERTY keyboard), full-width, Arabic-Indic, mathematical
# digits, and underscores (int("1_000") == 1000).
EXOTIC_NUMBERS = ["²200", "²", "2³", "１２", "١٢٣", "۴۵", "𝟙𝟚", "1_000", "+5", "٣,5", "1e5"]


@pytest.mark.parametrize("typed", EXOTIC_NUMBERS)
def test_an_integer_made_of_anything_but_ascii_digits_gets_a_french_message(typed):
    question = QuestionFactory(kind=QuestionKind.INTEGER)
    assert "chiffres de 0 à 9" in refused(question, typed)


@pytest.mark.parametrize("typed", [*EXOTIC_NUMBERS, "1_000,5", "Infinity", "1e-7"])
def test_a_decimal_made_of_anything_but_ascii_digits_gets_a_french_message(typed):
    question = QuestionFactory(kind=QuestionKind.DECIMAL)
    assert "chiffres de 0 à 9" in refused(question, typed)


@pytest.mark.parametrize("space", [" ", "\xa0", "\u202f"])
def test_numbers_grouped_by_thousands_in_the_french_way_are_accepted(space):
    integer = QuestionFactory(kind=QuestionKind.INTEGER)
    decimal_question = QuestionFactory(kind=QuestionKind.DECIMAL)
    assert integer.clean_answer(f"2{space}942{space}857") == 2942857
    assert integer.clean_answer(f"-1{space}000") == -1000
    assert decimal_question.clean_answer(f"1{space}234,5") == "1234.5"


def test_line_breaks_count_as_one_character_whatever_the_browser_posts():
    question = QuestionFactory(kind=QuestionKind.LONG_TEXT, max_length=10)
    assert question.clean_answer("abc\r\ndef\r\ngh") == "abc\ndef\ngh"  # 12 posted, 10 typed
    assert question.clean_answer("abc\rdef") == "abc\ndef"
    assert "trop long" in refused(question, "abc\r\ndef\r\nghi")


def test_a_siren_typed_with_superscript_or_full_width_digits_gets_a_french_message():
    from survey.collectivites.search import clean_siren

    for typed in ["²" * 9, "２１６９０２６４１", "2169026４1"]:
        with pytest.raises(ValidationError, match="que des chiffres"):
            clean_siren(typed)
