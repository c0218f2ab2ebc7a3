import gzip
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from survey.collectivites.models import Collectivite
from survey.collectivites.search import (
    DEFAULT_DATA_FILE,
    CollectiviteFileError,
    load_collectivites,
    normalize,
    search,
    search_text_for,
)
from survey.enums import CollectiviteKind, PopulationBand

SAMPLE = Path(__file__).parent / "data" / "collectivites-sample.csv"

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    return load_collectivites(SAMPLE)


def names(results):
    return [str(collectivite) for collectivite in results]


# -- Normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Saint-Étienne", "saint etienne"),
        ("ST ETIENNE", "saint etienne"),
        ("st-étienne", "saint etienne"),
        ("Ste-Foy-lès-Lyon", "sainte foy les lyon"),
        ("L'Abergement-Clémenciat", "l abergement clemenciat"),
        ("L’Haÿ-les-Roses", "l hay les roses"),
        ("  Cœur   de  Loire ", "coeur de loire"),
        ("Staple", "staple"),
        ("a\x00b", "a b"),
        ("", ""),
    ],
)
def test_normalize_ignores_accents_case_hyphens_apostrophes_and_spells_out_saint(text, expected):
    assert normalize(text) == expected


def test_search_text_holds_every_accepted_spelling():
    assert search_text_for(CollectiviteKind.DEPARTEMENT, "Département de l'Ain") == (
        "| departement de l ain | ain | conseil departemental ain |"
    )
    assert search_text_for(CollectiviteKind.COMMUNE, "Le Mans") == "| le mans | mans |"
    assert search_text_for(CollectiviteKind.EPCI, "CC Faucigny - Glières") == (
        "| cc faucigny glieres | communaute de communes faucigny glieres |"
    )
    assert search_text_for(CollectiviteKind.STATUT_PARTICULIER, "Collectivité de Corse") == (
        "| collectivite de corse | corse |"
    )


# -- Search -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["saint etienne", "SAINT-ÉTIENNE", "st etienne", "St-Étienne"])
def test_search_ignores_accents_case_hyphens_and_saint_abbreviations(sample, query):
    assert names(search(query))[:2] == [
        "Saint-Étienne — Loire (42)",
        "Saint-Étienne Métropole — Loire (42)",
    ]


def test_search_finds_sainte_from_its_abbreviation(sample):
    assert names(search("ste foy les lyon")) == ["Sainte-Foy-lès-Lyon — Rhône (69)"]


def test_homonyms_show_their_departement_largest_first(sample):
    found = names(search("saint denis"))
    assert found[:3] == [
        "Saint-Denis — La Réunion (974)",
        "Saint-Denis — Seine-Saint-Denis (93)",
        "Saint-Denis — Aude (11)",
    ]
    assert "Saint-Denis-en-Val — Loiret (45)" in found[3:]


def test_a_departement_code_after_the_name_narrows_homonyms(sample):
    assert names(search("saint denis 93")) == ["Saint-Denis — Seine-Saint-Denis (93)"]


def test_words_in_another_order_are_found_when_the_phrase_is_not(sample):
    assert names(search("denis saint"))[:2] == [
        "Saint-Denis — La Réunion (974)",
        "Saint-Denis — Seine-Saint-Denis (93)",
    ]
    assert search("saint denis loire") == []


def test_the_exact_name_comes_before_longer_names_that_start_with_it(sample):
    assert names(search("saint maur")) == [
        "Saint-Maur — Indre (36)",
        "Saint-Maur-des-Fossés — Val-de-Marne (94)",
    ]


def test_search_by_a_prefix_of_a_word_inside_the_name(sample):
    assert "Ambérieu-en-Bugey — Ain (01)" in names(search("bugey"))
    assert names(search("lyo"))[0] == "Lyon — Rhône (69)"


def test_search_finds_a_departement_by_its_bare_name_before_communes(sample):
    assert names(search("ain"))[0] == "Département de l'Ain — Ain (01)"
    assert names(search("conseil départemental de l'Ain")) == ["Département de l'Ain — Ain (01)"]


def test_search_finds_a_commune_without_its_article_and_an_epci_by_its_spelt_out_nature(sample):
    assert names(search("mans"))[0] == "Le Mans — Sarthe (72)"
    assert names(search("communauté de communes faucigny")) == [
        "CC Faucigny - Glières — Haute-Savoie (74)"
    ]


def test_search_finds_a_collectivite_a_statut_particulier(sample):
    assert names(search("corse"))[0] == "Collectivité de Corse — Corse"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("42000", "Saint-Étienne — Loire (42)"),
        ("42100", "Saint-Étienne — Loire (42)"),
        ("75116", "Paris — Paris (75)"),
        ("42218", "Saint-Étienne — Loire (42)"),
        ("2A004", "Ajaccio — Corse-du-Sud (2A)"),
        ("2a004", "Ajaccio — Corse-du-Sud (2A)"),
        ("214202186", "Saint-Étienne — Loire (42)"),
        ("214 202 186", "Saint-Étienne — Loire (42)"),
        ("21420218600018", "Saint-Étienne — Loire (42)"),
        ("244200770", "Saint-Étienne Métropole — Loire (42)"),
        ("98735", "Papeete — Polynésie française (987)"),
    ],
)
def test_search_by_postcode_insee_code_siren_or_siret(sample, query, expected):
    assert names(search(query)) == [expected]


def test_search_by_a_departement_code_or_the_start_of_a_postcode_puts_the_largest_first(
    sample,
):
    assert names(search("42")) == [
        "Saint-Étienne Métropole — Loire (42)",
        "Saint-Étienne — Loire (42)",
        "Saint-Chamond — Loire (42)",
    ]
    assert names(search("424")) == ["Saint-Chamond — Loire (42)"]


@pytest.mark.parametrize("query", ["", "a", " - ", "x" * 101, "zzzz", 12, None, "\x00\x00"])
def test_search_answers_nothing_to_empty_short_long_or_odd_queries(sample, query):
    assert search(query) == []


def test_search_returns_at_most_the_limit(sample):
    assert len(search("saint", limit=3)) == 3


# -- Loader -------------------------------------------------------------------------------


def test_loader_fills_population_band_names_and_search_text(sample):
    saint_etienne = Collectivite.objects.get(insee_code="42218")
    assert saint_etienne.siren == "214202186"
    assert saint_etienne.kind == CollectiviteKind.COMMUNE
    assert saint_etienne.population_band == PopulationBand.OVER_100000
    assert (saint_etienne.departement_name, saint_etienne.region_name) == (
        "Loire",
        "Auvergne-Rhône-Alpes",
    )
    assert saint_etienne.search_text == "| saint etienne |"
    assert saint_etienne.postcodes == "42000 42100 42230"
    lyon = Collectivite.objects.get(siren="200046977")
    assert (lyon.kind, lyon.epci_nature, lyon.kind_label) == ("epci", "MET69", "Métropole de Lyon")


def test_loader_reports_counts_per_kind(sample):
    assert sample.by_kind == {
        "region": 1,
        "statut_particulier": 2,
        "departement": 2,
        "epci": 4,
        "commune": 22,
    }
    assert (sample.created, sample.updated, sample.unchanged) == (31, 0, 0)


def test_reloading_the_same_file_changes_nothing(sample):
    ids = dict(Collectivite.objects.values_list("insee_code", "id").filter(kind="commune"))
    again = load_collectivites(SAMPLE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 31)
    assert Collectivite.objects.count() == 31
    assert dict(Collectivite.objects.values_list("insee_code", "id").filter(kind="commune")) == ids


def test_reloading_updates_changed_rows_in_place_and_keeps_rows_gone_from_the_file(
    sample, tmp_path
):
    rows = SAMPLE.read_text().splitlines()
    changed = [
        row.replace(",173136,", ",99999,") if ",42218," in row else row
        for row in rows
        if ",75056," not in row
    ]
    path = tmp_path / "next-year.csv.gz"
    path.write_bytes(gzip.compress("\n".join(changed).encode()))
    before = Collectivite.objects.get(insee_code="42218")

    report = load_collectivites(path)

    after = Collectivite.objects.get(insee_code="42218")
    assert (report.created, report.updated, report.missing_from_file) == (0, 1, 1)
    assert after.id == before.id
    assert (after.population, after.population_band) == (99999, PopulationBand.FROM_10000_TO_100000)
    assert Collectivite.objects.filter(insee_code="75056").exists()


def test_a_commune_without_siren_is_identified_by_its_insee_code(sample):
    papeete = Collectivite.objects.get(insee_code="98735")
    assert papeete.siren is None
    assert papeete.code == "98735"
    assert Collectivite.objects.by_code("98735") == papeete
    assert Collectivite.objects.by_code("214202186").name == "Saint-Étienne"
    assert Collectivite.objects.by_code("42218") is None  # communes with a SIREN go by it
    assert Collectivite.objects.by_code("n'importe quoi") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nom,siren\nParis,217500016\n", "Colonnes inattendues"),
        (
            "kind,siren,insee_code,name,epci_nature,departement_code,departement_name,"
            "region_code,region_name,population,postcodes\n"
            "commune,12345,75056,Paris,,75,Paris,11,Île-de-France,-3,\n",
            "SIREN invalide",
        ),
        (
            "kind,siren,insee_code,name,epci_nature,departement_code,departement_name,"
            "region_code,region_name,population,postcodes\n"
            "canton,217500016,75056,Paris,,75,Paris,11,Île-de-France,10,\n",
            "type inconnu",
        ),
    ],
)
def test_a_bad_file_is_refused_whole_with_a_french_message(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CollectiviteFileError, match=message):
        load_collectivites(path)
    assert not Collectivite.objects.exists()


def test_the_command_says_what_is_wrong_with_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Impossible de lire"):
        call_command("load_collectivites", str(tmp_path / "absent.csv.gz"))


def test_the_command_prints_counts_per_kind(capsys):
    call_command("load_collectivites", str(SAMPLE))
    output = capsys.readouterr().out
    assert "Commune : 22" in output
    assert "EPCI : 4" in output
    assert "Collectivité à statut particulier : 2" in output
    assert "31 créée(s), 0 modifiée(s), 0 inchangée(s)." in output


# -- The shipped file ---------------------------------------------------------------------


def test_the_shipped_file_loads_whole_and_reloads_without_change(capsys):
    """The full 2025 list: the counts of data/README.md, and an idempotent second load."""
    call_command("load_collectivites")
    output = capsys.readouterr().out
    for line in [
        "Commune : 34\u202f969",
        "EPCI : 1\u202f255",
        "Département : 94",
        "Région : 14",
        "Collectivité à statut particulier : 4",
        "36\u202f336 créée(s)",
    ]:
        assert line in output
    counts = {kind: Collectivite.objects.filter(kind=kind).count() for kind in CollectiviteKind}
    assert sum(counts.values()) == 36_336
    assert Collectivite.objects.filter(kind="epci", epci_nature="METRO").count() == 21
    assert Collectivite.objects.filter(siren__isnull=True).count() == 94

    report = load_collectivites(DEFAULT_DATA_FILE)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 36_336)

    # Homonyms on the full list: each shows its département.
    saint_denis = [c for c in search("saint denis", limit=50) if c.name == "Saint-Denis"]
    assert len(saint_denis) == 4
    assert len({c.departement_code for c in saint_denis}) == len(saint_denis)
    assert names(search("saint etienne"))[0] == "Saint-Étienne — Loire (42)"


def test_the_build_script_and_the_loader_share_the_columns_and_the_siren_check():
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "scripts" / "build_collectivites.py"
    code = (
        "import runpy, sys; sys.argv = ['x']; "
        f"names = runpy.run_path({str(script)!r}, run_name='not_main'); "
        "from survey.collectivites import reference; "
        "assert names['COLUMNS'] is reference.COLUMNS; "
        "assert names['siren_is_valid'] is reference.siren_is_valid; "
        "assert 'django' not in sys.modules, 'the script needs no Django'"
    )
    result = subprocess.run(  # noqa: S603 - our own script, with the interpreter running the tests
        [sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=False
    )
    assert result.returncode == 0, result.stderr


def test_a_siren_of_non_ascii_digits_never_passes_the_check_key():
    from survey.collectivites.reference import siren_is_valid

    assert siren_is_valid("239710015")
    assert not siren_is_valid("²39710015")
    assert not siren_is_valid("２３９７１００１５")
