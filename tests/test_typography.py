"""French typography: no-break spaces before « : ; ! ? » and inside « », the typographic
apostrophe, « 23 h 59 », amounts, applied once to pages, emails, admin texts and exports."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse

from survey.typography import NBSP, typeset, typeset_html
from tests.helpers.html import journey_pages

PLAIN_SPACE_BEFORE_SIGN = re.compile(r"[ \t\r\n][:;!?»]|«[ \t\r\n]")
STRAIGHT_APOSTROPHE = re.compile(r"[^\W\d_]'[^\W\d_]")


class TextNodes(HTMLParser):
    """The text a reader reads: no script, style, code, typed values nor verbatim answers."""

    SKIPPED = {"script", "style", "pre", "textarea", "code"}

    def __init__(self):
        super().__init__()
        self.skipping = []
        self.texts = []

    def handle_starttag(self, tag, attrs):
        skipped = self.skipping or tag in self.SKIPPED or "data-verbatim" in dict(attrs)
        if skipped and tag not in {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}:
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.texts.append(data)


def typography_faults(html):
    parser = TextNodes()
    parser.feed(html)
    text = "\u2063".join(parser.texts)  # text nodes stay apart
    faults = [
        text[max(0, m.start() - 30) : m.end() + 5] for m in PLAIN_SPACE_BEFORE_SIGN.finditer(text)
    ]
    faults += [
        text[max(0, m.start() - 30) : m.end() + 5] for m in STRAIGHT_APOSTROPHE.finditer(text)
    ]
    return faults


def test_typeset_puts_no_break_spaces_and_apostrophes_in_plain_text():
    assert typeset("Vous avez une question ? Écrivez-nous : c'est simple !") == (
        f"Vous avez une question{NBSP}? Écrivez-nous{NBSP}: c’est simple{NBSP}!"
    )
    assert typeset("« Oui » ; « Non »") == f"«{NBSP}Oui{NBSP}»{NBSP}; «{NBSP}Non{NBSP}»"
    assert typeset("De 10 000 à 50 000 €") == "De 10\u202f000 à 50\u202f000\u00a0€"


@pytest.mark.parametrize(
    "untouched",
    ["un ratio 3:1", "à 23:59", "https://example.fr/a?b=c", "l'2025", "mot;mot", "1200"],
)
def test_typeset_leaves_ratios_times_and_urls_alone(untouched):
    assert typeset(untouched) == untouched


def test_typeset_html_changes_text_nodes_only():
    html = (
        '<p title="Note : oui">Note : l&#x27;avis</p>'
        '<a href="/x?y=1">Lien ?</a>'
        "<script>if (a ? b : c) {}</script>"
        "<style>a:hover { color : red }</style>"
        '<textarea name="t">Mon texte : tel quel</textarea>'
        '<input value="Saisie : telle quelle">'
        "<dd data-verbatim>Réponse : <em>telle</em> qu'écrite</dd>"
        "<pre>code : brut</pre>"
        "<!-- commentaire : libre -->"
        "<p>Fin !</p>"
    )
    assert typeset_html(html) == (
        f'<p title="Note : oui">Note{NBSP}: l’avis</p>'
        f'<a href="/x?y=1">Lien{NBSP}?</a>'
        "<script>if (a ? b : c) {}</script>"
        "<style>a:hover { color : red }</style>"
        '<textarea name="t">Mon texte : tel quel</textarea>'
        '<input value="Saisie : telle quelle">'
        "<dd data-verbatim>Réponse : <em>telle</em> qu'écrite</dd>"
        "<pre>code : brut</pre>"
        "<!-- commentaire : libre -->"
        f"<p>Fin{NBSP}!</p>"
    )


@pytest.mark.django_db
def test_every_journey_page_has_french_typography(client, small_survey):
    pages = journey_pages(client, small_survey)
    faults = {name: typography_faults(html) for name, html in pages}
    assert {name: found for name, found in faults.items() if found} == {}


@pytest.mark.django_db
def test_what_the_respondent_typed_is_shown_as_typed(client, small_survey):
    client.post(reverse("start"), {"email": ""})
    client.post(
        reverse("section", args=["usages"]),
        {"q-usage_ia": "non", "q-usage_description": "Projet : l'IA ?", "action": "later"},
    )
    page = client.get(reverse("review")).content.decode()
    assert "Projet : l&#x27;IA ?" in page


@pytest.mark.django_db
def test_admin_pages_have_french_typography(client, small_survey):
    client.force_login(User.objects.create_superuser("admin"))
    for url in [
        reverse("admin:index"),
        reverse("admin:survey_response_changelist"),
        reverse("admin:survey_response_export"),
        reverse("admin:survey_question_changelist"),
    ]:
        page = client.get(url)
        assert page.status_code == 200
        assert typography_faults(page.content.decode()) == [], url


@pytest.mark.django_db
def test_emails_have_french_typography_and_one_time_format(client, small_survey):
    client.post(reverse("start"), {"email": "agent@mairie.fr"})
    body = mail.outbox[0].body
    assert not PLAIN_SPACE_BEFORE_SIGN.search(body)
    assert not STRAIGHT_APOSTROPHE.search(body)
    assert re.search(r"à \d{2} h \d{2}", body)


@pytest.mark.django_db
def test_dates_read_with_one_time_format(client, small_survey):
    home = client.get(reverse("home")).content.decode()
    assert re.search(r"\d{4} à \d{2} h \d{2}", home)
    assert not re.search(r"\d{2}h\d{2}", home)
