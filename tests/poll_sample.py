"""Valid answers to every page of questionnaires/citoyens-2025.toml, as a browser posts them."""

from pathlib import Path

from poll.models import Fieldwork
from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition

CITIZENS = Path(__file__).resolve().parent.parent / "questionnaires" / "citoyens-2025.toml"

PROFILE = {
    "profil_age": "age_25_34",
    "profil_sexe": "femme",
    "profil_region": "bretagne",
    "profil_taille_commune": "moins_3500",
    "profil_occupation": "employe",
}


def rows(question, answers):
    return {f"q-{question}-{row}": answer for row, answer in answers.items()}


PAGES = {
    "profil": {f"q-{code}": answer for code, answer in PROFILE.items()},
    "regard": {
        "q-ia_sentiment": "plutot_positif",
        "q-ia_usage_perso": "essaye",
        "q-confiance_services_publics": "plutot_confiance",
        **rows(
            "confiance_acteurs",
            {
                "etat": "plutot_confiance",
                "commune": "tout_a_fait_confiance",
                "intercommunalite": "plutot_confiance",
                "departement_region": "plutot_pas_confiance",
                "services_sociaux": "plutot_confiance",
                "entreprises": "pas_du_tout_confiance",
            },
        ),
        "q-donnees_confiance_etat": "plutot_pas_confiance",
        "q-donnees_informe": "plutot_pas_informe",
    },
    "usages": {
        **rows(
            "usages_acceptables",
            {
                "repondre_questions": "plutot_favorable",
                "traiter_demandes": "plutot_favorable",
                "aider_agents": "tres_favorable",
                "traduire": "tres_favorable",
                "entretien_reseaux": "tres_favorable",
                "mobilite": "plutot_favorable",
                "energie": "tres_favorable",
                "videoprotection": "plutot_defavorable",
                "attribuer_aides": "tres_defavorable",
            },
        ),
        "q-usages_prioritaires": ["demarches", "mobilite"],
        "q-relation_humaine": "ia_puis_humain",
    },
    "inquietudes": {
        **rows(
            "risques",
            {
                "erreurs": "assez_preoccupant",
                "donnees_personnelles": "tres_preoccupant",
                "dependance": "assez_preoccupant",
                "biais": "tres_preoccupant",
                "controle_attention": "peu_preoccupant",
                "environnement": "peu_preoccupant",
                "perte_competences": "assez_preoccupant",
                "emploi": "assez_preoccupant",
                "deshumanisation": "tres_preoccupant",
            },
        ),
        "q-controle_ou_performance": "controle",
    },
    "decision": {
        "q-qui_decide": "elus",
        "q-qui_controle": ["cnil"],
        **rows(
            "garanties",
            {
                "savoir_ia": "tout_a_fait_d_accord",
                "recours_humain": "tout_a_fait_d_accord",
                "liste_publique": "plutot_d_accord",
                "hebergement_europe": "plutot_d_accord",
                "regles_nationales": "plutot_d_accord",
            },
        ),
    },
}


def page_data(slug, **changes):
    return {**PAGES[slug], **changes, "action": "continue"}


def poll_edition(**fieldwork):
    """The 2025 poll loaded from its file, with the institute's return addresses."""
    load_questionnaire(CITIZENS)
    edition = Edition.objects.for_year(2025, "sondage-citoyens")
    Fieldwork.objects.create(
        edition=edition,
        institute="Institut de test",
        complete_url="https://panel.example/retour?statut=complet&id={pid}",
        screenout_url="https://panel.example/retour?statut=hors-cible&id={pid}",
        quotafull_url="https://panel.example/retour?statut=quota&id={pid}",
        **fieldwork,
    )
    return edition


def answer_pages(client, slugs, **changes):
    """Post each page in turn; the last redirect is returned."""
    page = None
    for slug in slugs:
        page = client.post(f"/sondage/page/{slug}/", page_data(slug, **changes.get(slug, {})))
        assert page.status_code == 302, page.content.decode()[:2000]
    return page


def quick_complete(edition, pid, answers):
    """A counted complete saved directly (no pages): its response, participation and the
    given answers {question code: raw value}, for samples of hundreds."""
    import secrets

    from django.utils import timezone

    from poll.models import Outcome, Participation
    from survey.collection.models import Answer, Response, hash_token
    from survey.enums import ResponseStatus

    now = timezone.now()
    response = Response.objects.create(
        edition=edition, status=ResponseStatus.SUBMITTED, submitted_at=now, progress=100
    )
    Participation.objects.create(
        edition=edition,
        response=response,
        panel_id=pid,
        token_hash=hash_token(secrets.token_urlsafe()),
        outcome=Outcome.COMPLETE,
        ended_at=now,
    )
    questions = {q.code: q for q in edition.questions.filter(code__in=answers)}
    Answer.objects.bulk_create(
        Answer(response=response, question=questions[code], value=questions[code].clean_answer(raw))
        for code, raw in answers.items()
    )
    return response
