import pytest
from django.core.exceptions import ValidationError

from survey.collectivites.forms import CollectivitePickerForm, OtherStructure
from survey.collectivites.reference import luhn_is_valid
from survey.collectivites.search import clean_siren
from tests.factories import CollectiviteFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "siren",
    ["217500016", "214202186", "200046977", "220100010", "253800825", "356000000"],
)
def test_real_sirens_pass_the_luhn_check(siren):
    assert luhn_is_valid(siren)


@pytest.mark.parametrize("siren", ["217500017", "214202168", "123456789", "200046970"])
def test_a_wrong_digit_or_a_swap_fails_the_luhn_check(siren):
    assert not luhn_is_valid(siren)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("253800825", "253800825"),
        ("253 800 825", "253800825"),
        ("253.800.825", "253800825"),
        ("253\u00a0800\u00a0825", "253800825"),
        ("21750001600019", "217500016"),  # a SIRET gives its SIREN
    ],
)
def test_clean_siren_accepts_spaces_and_a_siret(typed, expected):
    assert clean_siren(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("25380082", "Le SIREN compte 9 chiffres (vous en avez saisi 8)."),
        ("2538008250", "Le SIREN compte 9 chiffres (vous en avez saisi 10)."),
        ("25380082A", "Le SIREN ne contient que des chiffres (9 chiffres)."),
        ("253800826", "Ce SIREN n'est pas valide : un chiffre est sans doute erroné"),
        ("21750001600018", "Ce numéro SIRET n'est pas valide : vérifiez les chiffres."),
    ],
)
def test_clean_siren_explains_in_french_what_is_wrong(typed, message):
    with pytest.raises(ValidationError) as error:
        clean_siren(typed)
    assert error.value.messages[0].startswith(message)


def test_picking_a_listed_collectivite_gives_it_as_the_structure():
    commune = CollectiviteFactory(siren="214202186", name="Saint-Étienne")
    form = CollectivitePickerForm(data={"collectivite": "214202186"})
    assert form.is_valid(), form.errors
    assert form.structure == commune
    assert form.cleaned_data["structure"] == commune


def test_a_commune_without_siren_is_picked_by_its_insee_code():
    papeete = CollectiviteFactory(siren=None, insee_code="98735", name="Papeete")
    form = CollectivitePickerForm(data={"collectivite": "98735"})
    assert form.is_valid(), form.errors
    assert form.structure == papeete


def test_an_unknown_code_is_refused():
    form = CollectivitePickerForm(data={"collectivite": "999999999"})
    assert not form.is_valid()
    assert form.errors["collectivite"] == [
        "Cette collectivité est introuvable : recherchez-la à nouveau."
    ]


def test_nothing_chosen_asks_to_choose_or_to_say_other_structure():
    form = CollectivitePickerForm(data={})
    assert not form.is_valid()
    assert "Choisissez votre collectivité dans la liste" in form.errors["collectivite"][0]
    # It names the link the respondent sees, not the checkbox hidden behind it.
    assert "« Votre structure n’est pas dans la liste ? »" in form.errors["collectivite"][0]


def test_other_structure_needs_a_name_and_a_valid_siren():
    form = CollectivitePickerForm(
        data={
            "other_structure": "on",
            "other_name": "  Syndicat   mixte   du numérique ",
            "other_siren": "253 800 825",
        }
    )
    assert form.is_valid(), form.errors
    assert form.structure == OtherStructure("Syndicat mixte du numérique", "253800825")

    form = CollectivitePickerForm(data={"other_structure": "on", "other_siren": "253800826"})
    assert not form.is_valid()
    assert form.errors["other_name"] == ["Indiquez le nom de votre structure."]
    assert "la clé de contrôle ne correspond pas" in form.errors["other_siren"][0]

    form = CollectivitePickerForm(data={"other_structure": "on", "other_name": "Syndicat"})
    assert form.errors["other_siren"] == ["Indiquez le SIREN de votre structure."]


def test_other_structure_wins_over_a_collectivite_left_in_the_hidden_field():
    CollectiviteFactory(siren="214202186")
    form = CollectivitePickerForm(
        data={
            "collectivite": "214202186",
            "other_structure": "on",
            "other_name": "Syndicat",
            "other_siren": "253800825",
        }
    )
    assert form.is_valid(), form.errors
    assert form.structure == OtherStructure("Syndicat", "253800825")


def test_a_listed_collectivite_cannot_come_in_again_as_other_structure():
    CollectiviteFactory(
        siren="214202186", name="Saint-Étienne", departement_code="42", departement_name="Loire"
    )
    form = CollectivitePickerForm(
        data={"other_structure": "on", "other_name": "Mairie", "other_siren": "214202186"}
    )
    assert not form.is_valid()
    assert form.errors["other_siren"] == [
        "Ce SIREN est celui de « Saint-Étienne — Loire (42) », qui figure dans la liste : "
        "choisissez-la dans la recherche."
    ]


def test_a_prefill_from_the_no_javascript_flow_shows_the_chosen_collectivite():
    commune = CollectiviteFactory(siren="214202186", name="Saint-Étienne")
    form = CollectivitePickerForm(prefill="214202186")
    assert form.chosen == commune
    assert form["collectivite"].value() == "214202186"
    assert CollectivitePickerForm(prefill="garbage").chosen is None
