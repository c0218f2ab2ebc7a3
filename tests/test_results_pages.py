"""Weighted results: the staff pages (table, bars with whiskers, domains, downloads), the
choice of published questions, and the public results and methodology after the close."""

import csv
import io
import re

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.urls import reverse

from results.models import Publication
from survey.enums import Audience
from survey.questionnaire.models import Question, Survey
from tests.factories import EditionFactory
from tests.results_sample import compute
from tests.sample import make_questionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition():
    return make_questionnaire()


@pytest.fixture
def computation(edition):
    return compute(edition)


@pytest.fixture
def observatoire(client):
    user = User.objects.create_user("observatoire", is_staff=True)
    user.groups.add(Group.objects.get(name="Observatoire"))
    client.force_login(user)
    return client


@pytest.fixture
def publisher(client):
    """A member of the Observatoire given the right to publish."""
    user = User.objects.create_user("editrice", is_staff=True)
    user.groups.add(Group.objects.get(name="Observatoire"))
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_publication", "delete_publication"])
    )
    client.force_login(user)
    return client


def publish(edition, *codes):
    for code in codes:
        Publication.objects.create(edition=edition, question=edition.questions.get(code=code))


def table_row(html, label):
    """The HTML of the table row whose header is `label` (a link on public pages)."""
    header = re.search(rf'<th scope="row">(<a [^>]*>)?{re.escape(label)}(</a>)?</th>', html)
    return html[header.start() :].split("</tr>", 1)[0]


def chart_of(html):
    """The first bar chart of a page, up to the end of its figure."""
    return html[html.index('<div class="results-chart"') :].split("</figure>", 1)[0]


def html_of(response):
    """The page's HTML with French typography's no-break spaces as plain spaces."""
    return response.content.decode().replace("\u202f", " ").replace("\u00a0", " ")


def question_url(edition, code):
    return reverse("admin:results_question", args=[edition.year, code])


# -- Staff ----------------------------------------------------------------------------------


def test_the_results_page_asks_to_run_compute_results_before_any_computation(observatoire, edition):
    page = observatoire.get(reverse("admin:results_index"), {"edition": edition.year})
    assert page.status_code == 200
    html = html_of(page)
    assert "Lancez <code>compute_results</code>" in html
    assert f"compute_results --edition {edition.year}" in html


def test_the_results_page_shows_the_method_figures_and_lists_the_questions(
    observatoire, computation
):
    edition = computation.edition
    html = html_of(observatoire.get(reverse("admin:results_index"), {"edition": edition.year}))
    assert "Efficacité de Kish" in html and "0,813" in html
    assert "de 0,50 à 2,50" in html
    assert "Logit avec correction de population finie" in html
    assert "Communautés urbaines → Communautés d’agglomération" in html
    assert question_url(edition, "usage_ia") in html
    assert "Texte libre : jamais publié" in html


def test_the_results_page_links_to_the_poll_of_the_same_year_as_the_poll_registers_it(
    observatoire, computation
):
    edition = computation.edition
    crossing = reverse("admin:poll_crossing", args=[edition.year])
    page = {"edition": edition.year}
    assert crossing not in html_of(observatoire.get(reverse("admin:results_index"), page))
    citizens = Survey.objects.create(
        code="sondage-citoyens", title="Sondage citoyens", audience=Audience.CITOYENS
    )
    EditionFactory(survey=citizens, year=edition.year)
    assert crossing in html_of(observatoire.get(reverse("admin:results_index"), page))


def test_a_question_shows_its_table_and_svg_bars_with_whiskers_in_the_chosen_domain(
    observatoire, computation
):
    edition = computation.edition
    page = observatoire.get(question_url(edition, "usage_ia"), {"domaine": "3500-plus"})
    assert page.status_code == 200
    html = html_of(page)
    assert "<h2>Collectivités de 3 500 habitants ou plus</h2>" in html
    yes_row = html[html.index('<th scope="row">Oui</th>') :].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="number">([^<]*)</td>', yes_row)
    # count of the option, base, estimate, interval, effective n
    assert cells == ["40", "100", "43,0 %", "[33,0 ; 53,0]", "63"]  # 62,5 rounds away from 0
    assert "À interpréter avec prudence" in html and "Non publiable" in html
    chart = chart_of(html)
    assert 'role="img" aria-labelledby="chart-usage_ia-options-title"' in chart
    assert 'id="chart-usage_ia-options-title"' in html
    # A bar and its whisker (three lines) per option; labels and figures are the page's text.
    assert chart.count("<rect") == 3 and chart.count("<line") == 3 * 3
    assert "<text" not in chart and '<span class="results-bar__value">43,0 %</span>' in chart
    assert "style=" not in html.split("<body", 1)[1] and "<script>" not in html


def test_an_unknown_domain_falls_back_to_all_collectivites_with_an_error(observatoire, computation):
    page = observatoire.get(question_url(computation.edition, "usage_ia"), {"domaine": "mars"})
    assert page.status_code == 200
    assert "<h2>Toutes collectivités</h2>" in html_of(page)


def test_a_matrix_shows_one_block_per_row_and_a_number_its_mean_and_median(
    observatoire, computation
):
    edition = computation.edition
    matrix = html_of(observatoire.get(question_url(edition, "usage_impacts")))
    assert 'id="usage_impacts-agents">Agents</h3>' in matrix
    assert 'id="usage_impacts-usagers">Usagers</h3>' in matrix
    number = html_of(observatoire.get(question_url(edition, "orga_agents")))
    assert '<th scope="row">Moyenne</th>' in number and "1 250,0" in number
    assert '<th scope="row">Médiane</th>' in number


def test_staff_download_a_questions_estimates_as_csv_and_xlsx(observatoire, computation):
    url = question_url(computation.edition, "usage_ia")
    response = observatoire.get(url, {"format": "csv"})
    assert response["Content-Disposition"].endswith('-usage_ia.csv"')
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert len(rows) == 6
    oui = next(r for r in rows if r["option"] == "oui" and r["domaine"] == "toutes")
    assert (oui["libelle_option"], oui["estimation"], oui["fiabilite"]) == ("Oui", "0.43", "publie")
    workbook = openpyxl.load_workbook(io.BytesIO(observatoire.get(url, {"format": "xlsx"}).content))
    sheet = workbook["Estimations"]
    assert [cell.value for cell in sheet[1]][:3] == ["question", "intitule", "domaine"]
    assert sheet.max_row == 7
    assert "Dictionnaire" in workbook.sheetnames


def test_staff_outside_the_observatoire_group_may_not_see_the_results(client, computation):
    client.force_login(User.objects.create_user("stagiaire", is_staff=True))
    assert client.get(reverse("admin:results_index")).status_code == 403
    assert client.get(question_url(computation.edition, "usage_ia")).status_code == 403
    assert reverse("admin:results_index") not in html_of(client.get(reverse("admin:index")))


def test_the_observatoire_finds_the_results_page_on_the_admin_index(observatoire, computation):
    assert reverse("admin:results_index") in html_of(observatoire.get(reverse("admin:index")))


# -- Publication -----------------------------------------------------------------------------


def test_the_observatoire_alone_reads_the_results_but_may_not_publish(observatoire, computation):
    url = reverse("admin:results_publication", args=[computation.edition.year])
    assert observatoire.get(url).status_code == 403
    assert observatoire.post(url, {"questions": ["usage_ia"]}).status_code == 403
    assert not Publication.objects.exists()


def test_staff_choose_the_published_questions_and_free_text_is_greyed_out(publisher, computation):
    edition = computation.edition
    url = reverse("admin:results_publication", args=[edition.year])
    html = html_of(publisher.get(url))
    assert 'value="orga_commentaire" id="publier-orga_commentaire" disabled>' in html
    assert "(texte libre : jamais publiée)" in html
    assert 'value="usage_ia" id="publier-usage_ia">' in html
    response = publisher.post(url, {"questions": ["usage_ia", "usage_impacts"]})
    assert response.status_code == 302
    codes = set(
        Publication.objects.filter(edition=edition).values_list("question__code", flat=True)
    )
    assert codes == {"usage_ia", "usage_impacts"}
    publisher.post(url, {"questions": ["usage_ia"]})
    assert Publication.objects.filter(edition=edition).count() == 1


def test_publishing_free_text_is_refused_with_a_french_message(publisher, computation):
    edition = computation.edition
    url = reverse("admin:results_publication", args=[edition.year])
    page = publisher.post(url, {"questions": ["usage_ia", "orga_commentaire"]})
    assert page.status_code == 200
    assert "Les réponses en texte libre ne sont jamais publiées" in html_of(page)
    assert not Publication.objects.filter(edition=edition).exists()


def test_a_publication_of_free_text_is_refused_by_the_model(edition):
    publication = Publication(
        edition=edition, question=Question.objects.get(edition=edition, code="orga_commentaire")
    )
    with pytest.raises(ValidationError, match="texte libre"):
        publication.full_clean()


# -- Public ----------------------------------------------------------------------------------


def test_public_results_are_not_shown_before_the_close(client, edition):
    compute(edition, closed=False)
    publish(edition, "usage_ia")
    page = client.get(reverse("results_public", args=[edition.year]))
    assert page.status_code == 404
    assert "Les résultats sont publiés après la clôture du questionnaire" in html_of(page)
    assert client.get(reverse("results_methodology", args=[edition.year])).status_code == 404


def test_public_results_wait_for_staff_to_publish_questions(client, computation):
    page = client.get(reverse("results_public", args=[computation.edition.year]))
    assert page.status_code == 404
    assert "prépare les résultats" in html_of(page)


def test_public_results_show_only_published_questions_and_suppress_unreliable_cells(
    client, computation
):
    edition = computation.edition
    publish(edition, "usage_ia", "usage_impacts")
    page = client.get(reverse("results_public", args=[edition.year]))
    assert page.status_code == 200
    html = html_of(page)
    assert "Utilisez-vous l" in html and "Quels impacts" in html
    assert "orga_agents" not in html and "1 250" not in html
    assert "43,0 %" in html
    assert "À interpréter avec prudence" in html and "40,0 %" in html
    nsp = table_row(html, "Je ne sais pas")
    assert "17,0" not in nsp and "Non publié" in nsp
    assert chart_of(html).count("<rect") == 2  # the suppressed cell has no bar
    assert "<script" not in html.split("</footer>")[0].split("<main", 1)[1]


def test_a_withheld_cell_shows_no_figure_says_why_and_stays_out_of_the_open_data(
    client, computation
):
    from results.exports import open_data_estimates
    from results.models import Estimate, Reliability

    edition = computation.edition
    publish(edition, "usage_ia")
    Estimate.objects.filter(computation=computation, choice_code="non").update(
        reliability=Reliability.WITHHELD
    )
    html = html_of(client.get(reverse("results_public", args=[edition.year])))
    non = html[html.index('<th scope="row">Non</th>') :].split("</tr>", 1)[0]
    assert "40,0" not in non and "—" in non
    assert "Masqué : sinon, une estimation non publiée se déduirait des autres" in non
    _, rows = open_data_estimates(edition)
    options = [row["option"] for row in csv.DictReader(io.StringIO(b"".join(rows).decode()))]
    assert "oui" in options and "non" not in options and "nsp" not in options


def test_each_public_figure_shows_the_options_count_and_its_base_as_the_rule_states_it(
    client, computation
):
    from results.presentation import publication_rule

    edition = computation.edition
    publish(edition, "usage_ia")
    html = html_of(client.get(reverse("results_public", args=[edition.year])))
    assert '<th scope="col" class="text-end">Effectif (option)</th>' in html
    assert '<th scope="col" class="text-end">Base (répondants)</th>' in html
    cells = re.findall(
        r'<td class="text-end text-nowrap" data-label="([^"]*)">([^<]*)</td>',
        table_row(html, "Oui"),
    )
    assert cells == [
        ("Estimation", "43,0 %"),
        ("Intervalle à 95 %", "[33,0 ; 53,0]"),
        ("Effectif (option)", "40"),
        ("Base (répondants)", "100"),
    ]
    nsp = table_row(html, "Je ne sais pas")
    assert "100" not in nsp  # a suppressed cell shows neither its count nor its base
    # The methodology states the code's rule, which says that each figure shows both.
    rules = publication_rule()
    assert any("l’effectif de l’option" in rule and "sa base" in rule for rule in rules)
    methodology = html_of(client.get(reverse("results_methodology", args=[edition.year])))
    for rule in rules:
        assert html_of_text(rule) in methodology


def html_of_text(text):
    """A text with its no-break spaces as plain spaces, as html_of shows a page."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_public_results_have_a_domain_selector_that_works_without_javascript(client, computation):
    edition = computation.edition
    publish(edition, "usage_ia")
    html = html_of(
        client.get(reverse("results_public", args=[edition.year]), {"domaine": "3500-plus"})
    )
    assert '<option value="3500-plus" selected>' in html
    assert '<h2 class="h3">Collectivités de 3 500 habitants ou plus</h2>' in html


def test_the_methodology_page_is_generated_from_the_frame_and_the_computation(client, computation):
    edition = computation.edition
    publish(edition, "usage_ia")
    page = client.get(reverse("results_methodology", args=[edition.year]))
    assert page.status_code == 200
    html = html_of(page)
    frame = computation.frame
    assert f"{frame.collectivite_count} collectivités" in html
    small = html[html.index("Communes de moins de 3 500 habitants") :].split("</tr>", 1)[0]
    assert '<td class="text-end" data-label="Collectivités (Nh)">1</td>' in small  # N_h = 1
    assert '<td class="text-end" data-label="Répondants (nh)">1</td>' in small  # n_h = 1
    assert "Post-stratification sur le type et la taille" in html
    assert "de 0,50 à 2,50" in html and "0,813" in html and "1,6" in html
    assert "Logit avec correction de population finie" in html
    assert "Communautés urbaines : avec Communautés d’agglomération" in html
    assert "Mayotte : avec Autres régions, au prorata de leur effectif" in html
    assert "« Je ne sais pas » compris" in html
    assert "Collectivités de 3 500 habitants ou plus" in html


def test_the_landing_page_of_a_closed_edition_leads_to_its_results(client, computation):
    edition = computation.edition
    html = html_of(client.get(reverse("home")))
    assert reverse("results_public", args=[edition.year]) not in html
    publish(edition, "usage_ia")
    html = html_of(client.get(reverse("home")))
    assert reverse("results_public", args=[edition.year]) in html
    assert reverse("results_methodology", args=[edition.year]) in html


# -- Cross-tabulation ------------------------------------------------------------------------


@pytest.fixture
def run(edition):
    """Twelve villages of a frame of sixteen, answering, weighed by compute_results' own run."""
    from results.estimation import run_computation
    from results.models import Frame
    from tests.factories import CollectiviteFactory
    from tests.sample import answer, submitted

    villages = [CollectiviteFactory(population=1000, region_code="84") for _ in range(16)]
    frame = Frame.freeze(edition)
    for i, village in enumerate(villages[:12]):
        response = submitted(edition, collectivite=village)
        answer(response, "usage_ia", ["oui", "non", "oui"][i % 3])
        answer(response, "orga_charte", "oui" if i < 6 else "non")
        answer(response, "orga_agents", str(10 * (i + 1)))
    return run_computation(frame)


def test_a_question_is_crossed_with_the_options_of_another(observatoire, run):
    from results.estimation import estimates_for

    edition = run.edition
    page = observatoire.get(question_url(edition, "usage_ia"), {"croiser": "orga_charte"})
    assert page.status_code == 200
    html = html_of(page)
    table = html[html.index('data-testid="cross-table"') :].split("</table>", 1)[0]
    assert "selon la réponse à « orga_charte »" in table
    assert '<th scope="col" class="number">Oui <span class="help">(base : 6)</span></th>' in table
    assert '<th scope="col" class="number">Non <span class="help">(base : 6)</span></th>' in table
    question = edition.questions.get(code="usage_ia")
    (yes_among_charter,) = [
        e
        for e in estimates_for(run, question, "question:orga_charte=oui")
        if e.choice_code == "oui"
    ]
    assert yes_among_charter.value == pytest.approx(4 / 6)
    yes_row = table[table.index('<th scope="row">Oui</th>') :].split("</tr>", 1)[0]
    assert "66,7 %" in yes_row and "effectif : 4" in yes_row  # 4 of the 6 with a charter


def test_a_question_cannot_be_crossed_with_a_free_text_or_itself(observatoire, run):
    url = question_url(run.edition, "usage_ia")
    for code in ["orga_commentaire", "usage_ia", "inconnue"]:
        html = html_of(observatoire.get(url, {"croiser": code}))
        assert "Sélectionnez un choix valide" in html
        assert 'data-testid="cross-table"' not in html


def test_the_publication_admin_refuses_free_text_in_french(client, edition):
    client.force_login(User.objects.create_superuser("admin", "admin@example.fr", "x"))
    question = edition.questions.get(code="orga_commentaire")
    page = client.post(
        reverse("admin:results_publication_add"),
        {"edition": edition.pk, "question": question.pk},
    )
    assert page.status_code == 200
    assert "les réponses en texte libre ne sont jamais publiées" in html_of(page)
    assert not Publication.objects.exists()


# -- Citing a figure: its permalink, « Citer ce chiffre » and the published figures' CSV ----


def figure_links(html):
    """The permalinks of a public page's figures, by answer label."""
    return {
        label: href
        for href, label in re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a>', html)
    }


def test_each_published_figure_links_to_its_page_with_a_line_to_cite_it(
    client, computation, settings
):
    settings.SITE_URL = "https://barometre.example.fr"
    edition = computation.edition
    publish(edition, "usage_ia")
    html = html_of(client.get(reverse("results_public", args=[edition.year])))
    links = figure_links(html)
    assert links["Oui"] == f"/resultats/{edition.year}/chiffres/toutes/usage_ia/oui/"
    assert "Je ne sais pas" not in links  # a figure kept back has no page of its own

    figure = html_of(client.get(links["Oui"]))
    citation = re.search(r'data-testid="citation"><p class="mb-0">(.*?)</p>', figure).group(1)
    assert citation == (
        "« Utilisez-vous l’IA ? » — « Oui » : 43,0 % (intervalle de confiance à 95 % : "
        "[33,0 ; 53,0]). Toutes collectivités, base : 100 répondants dont 40 pour cette "
        "réponse, estimation pondérée. Source : Observatoire Data Publica, Baromètre 2031. "
        f"https://barometre.example.fr/resultats/{edition.year}/chiffres/toutes/usage_ia/oui/"
    )
    assert "Fiable" in figure


def test_a_figure_of_a_matrix_row_names_its_row_and_one_to_read_with_caution_says_so(
    client, computation
):
    edition = computation.edition
    publish(edition, "usage_ia", "usage_impacts")
    html = html_of(client.get(reverse("results_public", args=[edition.year])))
    row_link = f"/resultats/{edition.year}/chiffres/toutes/usage_impacts/agents/positif/"
    assert f'href="{row_link}"' in html
    figure = html_of(client.get(row_link))
    assert "Agents : « Positif » — Toutes collectivités" in figure
    assert "« Quels impacts ? » — « Agents », « Positif » : " in figure

    caution = html_of(client.get(figure_links(html)["Non"]))
    assert "À interpréter avec prudence" in caution
    assert "« Utilisez-vous l’IA ? » — « Non » : 40,0 %" in caution
    assert "), à interpréter avec prudence. Toutes collectivités" in caution


def test_a_figure_kept_back_says_why_without_its_number_and_unknown_ones_are_not_found(
    client, computation
):
    edition = computation.edition
    publish(edition, "usage_ia")
    base = f"/resultats/{edition.year}/chiffres"
    kept_back = client.get(f"{base}/toutes/usage_ia/nsp/")
    assert kept_back.status_code == 200
    html = html_of(kept_back)
    assert "Ce chiffre n’est pas publié" in html and "17,0" not in html
    assert 'data-testid="citation"' not in html
    # Not published, not a figure of the question, not a domain: no page.
    assert client.get(f"{base}/toutes/usage_impacts/agents/positif/").status_code == 404
    assert client.get(f"{base}/toutes/usage_ia/peut-etre/").status_code == 404
    assert client.get(f"{base}/mars/usage_ia/oui/").status_code == 404


def test_the_published_figures_download_as_one_csv_rounded_as_pages_show_them(client, computation):
    edition = computation.edition
    publish(edition, "usage_ia")
    html = html_of(client.get(reverse("results_public", args=[edition.year])))
    url = reverse("results_csv", args=[edition.year])
    assert f'href="{url}">Tous les chiffres publiés (CSV)</a>' in html
    response = client.get(url)
    assert response["Content-Disposition"] == (
        f'attachment; filename="chiffres-publies-{edition.year}.csv"'
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["question"] for row in rows} == {"usage_ia"}
    assert not {row["fiabilite"] for row in rows} & {"non-publie", "masque"}
    everything = next(row for row in rows if row["domaine"] == "toutes" and row["option"] == "oui")
    assert everything["estimation"] == "0.43" and everything["texte_estimation"] == "43,0\u00a0%"
    # Three decimals at most: the thousandth is the precision the pages show, plus none.
    for row in rows:
        for column in ["estimation", "ic95_bas", "ic95_haut"]:
            assert len(row[column].partition(".")[2]) <= 3, row


def test_the_public_files_round_a_half_away_from_zero_as_the_pages_do():
    from results.exports import _public_figures
    from results.models import Estimate

    estimate = Estimate(
        statistic="proportion", value=0.4325, ci_low=0.0005, ci_high=0.6125, cv=0.125,
        effective_n=10.25,
    )  # fmt: skip
    # round() on the binary floats gives 0.432, 0.12 and 10.2 for the estimate, CV and n.
    assert _public_figures(estimate) == (0.433, 0.001, 0.613, 0.13, 10.3)
