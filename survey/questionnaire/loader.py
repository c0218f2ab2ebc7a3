"""Loading a questionnaire file (TOML) into the database.

The file is validated as a whole before anything is written; then it is applied in one
transaction, matching sections, questions, choices and matrix items by their codes so that
reloading updates texts and order in place. Anything that would drop collected answers is
refused. The format is documented in questionnaires/README.md.
"""

import datetime
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from unidecode import unidecode

from survey.enums import Audience, Lineage
from survey.questionnaire.kinds import KINDS
from survey.questionnaire.kinds.base import Kind
from survey.questionnaire.models import (
    BAROMETER_SURVEY,
    CODE_PATTERN,
    Choice,
    Edition,
    MatrixItem,
    Question,
    Section,
    Survey,
)

SURVEY_KEYS = {"code", "title", "audience"}
SECTION_KEYS = {"slug", "title", "intro", "questions"}
QUESTION_KEYS = {
    "code", "kind", "text", "help", "required", "choices", "items", "max_choices",
    "min", "max", "max_length", "show_if", "open_data", "continues",
    "max_items", "item", "questions", "consent", "crosses",
}  # fmt: skip
CONTINUES_KEYS = {"edition", "question", "relation", "recoding"}
CROSSES_KEYS = {"survey", "question", "items_left_out"}
RELATIONS = [relation for relation in Lineage if relation != Lineage.NEW]
CHOICE_KEYS = {"code", "label", "other", "exclusive", "dont_know"}


class QuestionnaireError(Exception):
    """The file cannot be loaded; `problems` lists every reason, in French."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LoadReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    deleted: list = field(default_factory=list)

    @property
    def changed(self):
        return bool(self.created or self.updated or self.deleted)


def read_questionnaire(path):
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise QuestionnaireError([f"Fichier introuvable : {path}"]) from None
    except tomllib.TOMLDecodeError as error:
        raise QuestionnaireError([f"Le fichier n'est pas un TOML valide : {error}"]) from None
    return validate(data)


def validate(data):
    """Check the whole file; return it normalised, or raise QuestionnaireError."""
    problems = []
    edition = data.get("edition")
    if not isinstance(edition, dict):
        raise QuestionnaireError(["La table [edition] manque."])
    for key in ("year", "title", "opens_at", "closes_at"):
        if key not in edition:
            problems.append(f"[edition] : la clé « {key} » manque.")
    for key in ("opens_at", "closes_at"):
        value = edition.get(key)
        if key in edition and (not isinstance(value, datetime.datetime) or value.tzinfo is None):
            problems.append(
                f"[edition] : « {key} » doit être une date et heure avec fuseau "
                "(par exemple 2025-07-11T23:59:59+02:00)."
            )
    if not problems and edition["closes_at"] <= edition["opens_at"]:
        problems.append("[edition] : la clôture doit suivre l'ouverture.")

    survey = data.get("survey")
    if survey is not None:
        problems += _validate_survey(survey)
    lists = data.get("choice_lists", {})
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        problems.append("Le questionnaire n'a aucune section ([[sections]]).")
        raise QuestionnaireError(problems)

    seen_slugs, seen_codes = set(), {}
    for section_index, section in enumerate(sections, start=1):
        where = f"section {section_index} ({section.get('slug', '?')})"
        problems += [f"{where} : clé inconnue « {k} »." for k in set(section) - SECTION_KEYS]
        slug = section.get("slug")
        if not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9-]{1,50}", slug):
            problems.append(f"{where} : « slug » manque ou n'est pas un identifiant valide.")
        elif slug in seen_slugs:
            problems.append(f"{where} : le slug « {slug} » est déjà utilisé.")
        seen_slugs.add(slug)
        if not section.get("title"):
            problems.append(f"{where} : « title » manque.")
        questions = section.get("questions") or []
        if not questions:
            problems.append(f"{where} : la section n'a aucune question.")
        for question in questions:
            problems += _validate_question(question, lists, seen_codes)
    if problems:
        raise QuestionnaireError(problems)
    return data


def _validate_survey(survey):
    """The optional [survey] table: which survey the edition belongs to (by default the
    collectivités' barometer)."""
    if not isinstance(survey, dict):
        return ["[survey] doit être une table (code, title, audience)."]
    problems = [f"[survey] : clé inconnue « {key} »." for key in set(survey) - SURVEY_KEYS]
    code = survey.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9-]{1,60}", code):
        problems.append("[survey] : « code » manque ou n'est pas un identifiant valide.")
    if not survey.get("title"):
        problems.append("[survey] : « title » manque.")
    if survey.get("audience") not in Audience.values:
        problems.append(f"[survey] : « audience » doit valoir {' ou '.join(Audience.values)}.")
    return problems


def survey_code(data):
    return (data.get("survey") or {}).get("code", BAROMETER_SURVEY)


def _validate_question(question, lists, seen_codes):
    code = question.get("code")
    where = f"question « {code} »" if code else "une question sans code"
    problems = [f"{where} : clé inconnue « {k} »." for k in set(question) - QUESTION_KEYS]
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        problems.append(
            f"{where} : le code doit commencer par une lettre minuscule et ne contenir que "
            "des minuscules, chiffres et « _ » (60 caractères au plus)."
        )
    elif code in seen_codes:
        problems.append(f"{where} : ce code est déjà utilisé par une autre question.")
    kind = question.get("kind")
    kind_class = KINDS.get(kind) if isinstance(kind, str) else None
    if kind_class is None:
        kind_class = Kind()  # no choices, no rows, no options: every extra key is reported
        problems.append(
            f"{where} : type inconnu « {kind} » (types possibles : {', '.join(KINDS)})."
        )
    if not question.get("text"):
        problems.append(f"{where} : « text » manque.")

    choices = question.get("choices")
    if isinstance(choices, str):
        if choices not in lists:
            problems.append(f"{where} : la liste de choix « {choices} » n'existe pas.")
            choices = []
        else:
            choices = lists[choices]
        question["choices"] = choices
    if kind_class.has_choices:
        problems += _validate_choices(where, kind_class, choices)
    elif choices:
        problems.append(f"{where} : une question de type « {kind} » n'a pas de choix.")

    items = question.get("items")
    if kind_class.has_items:
        problems += _validate_codes(where, "ligne", items)
    elif items:
        problems.append(f"{where} : seules les matrices ont des lignes (« items »).")

    problems += kind_class.check_options(where, question)
    problems += kind_class.check_parts(
        where, question, lambda sub, seen: _validate_question(sub, lists, seen)
    )

    show_if = question.get("show_if")
    if show_if is not None:
        problems += _validate_condition(where, show_if, seen_codes)
    continues = question.get("continues")
    if continues is not None:
        problems += _validate_continues(where, continues)
    crosses = question.get("crosses")
    if crosses is not None:
        problems += _validate_crosses(where, kind_class, question, crosses)
    if isinstance(code, str):
        seen_codes.setdefault(code, question)
    return problems


def validate_question(question, lists, seen_codes):
    """Problems with one question of a file (a dict): also how staff's edits of a repeated
    group's sub-questions are checked (survey/questionnaire/kinds/group.py)."""
    return _validate_question(question, lists, seen_codes)


def _validate_codes(where, noun, entries):
    problems = []
    if not isinstance(entries, list) or not entries:
        return [f"{where} : la liste des {noun}s manque ou est vide."]
    codes = set()
    for index, entry in enumerate(entries, start=1):
        entry_code = entry.get("code") if isinstance(entry, dict) else None
        if not isinstance(entry_code, str) or not CODE_PATTERN.match(entry_code):
            problems.append(f"{where} : le {noun} n° {index} n'a pas de code valide.")
        elif entry_code in codes:
            problems.append(f"{where} : le code de {noun} « {entry_code} » est répété.")
        codes.add(entry_code)
        if isinstance(entry, dict) and not entry.get("label"):
            problems.append(f"{where} : le {noun} n° {index} n'a pas de libellé.")
    return problems


def _validate_choices(where, kind_class, choices):
    problems = _validate_codes(where, "choix", choices)
    for choice in choices if isinstance(choices, list) else []:
        if not isinstance(choice, dict):
            continue
        unknown = set(choice) - CHOICE_KEYS
        problems += [f"{where} : clé de choix inconnue « {key} »." for key in unknown]
        if choice.get("exclusive") and not kind_class.allows_exclusive:
            problems.append(
                f"{where} : le choix « {choice.get('code')} » est exclusif, ce qui n'a de sens "
                "que pour un choix multiple."
            )
        if choice.get("other") and not kind_class.allows_other:
            problems.append(f"{where} : un choix « Autre » n'a de sens que pour un choix.")
    entries = choices if isinstance(choices, list) else []
    flagged = [c.get("code") for c in entries if isinstance(c, dict) and c.get("dont_know")]
    if len(flagged) > 1:
        problems.append(
            f"{where} : un seul choix « Je ne sais pas » (dont_know) par question, pas "
            f"{len(flagged)} ({', '.join(map(str, flagged))})."
        )
    return problems


def _validate_condition(where, show_if, seen_codes):
    if not isinstance(show_if, dict) or set(show_if) != {"question", "any_of"}:
        return [f"{where} : « show_if » doit avoir les clés « question » et « any_of »."]
    parent = seen_codes.get(show_if["question"])
    if parent is None:
        return [
            f"{where} : la condition porte sur « {show_if['question']} », qui n'est pas une "
            "question posée avant celle-ci."
        ]
    parent_kind = KINDS.get(parent.get("kind"), Kind())
    allowed = parent_kind.condition_codes(parent)
    if allowed is None:
        return [f"{where} : une condition ne peut porter que sur un choix ou un oui/non."]
    codes = show_if["any_of"]
    if not isinstance(codes, list) or not codes:
        return [f"{where} : « any_of » doit être une liste de codes non vide."]
    unknown = [code for code in codes if code not in allowed]
    if unknown:
        return [
            f"{where} : la condition cite des réponses inconnues de « {show_if['question']} » :"
            f" {', '.join(map(str, unknown))}."
        ]
    return []


def _validate_continues(where, continues):
    """The shape of a lineage declaration; what it names is checked against the database."""
    if not isinstance(continues, dict) or not {"edition", "question", "relation"} <= set(continues):
        return [
            f"{where} : « continues » doit avoir les clés « edition », « question » et "
            "« relation »."
        ]
    problems = [
        f"{where} : clé de filiation inconnue « {k} »." for k in set(continues) - CONTINUES_KEYS
    ]
    if not isinstance(continues["edition"], int):
        problems.append(f"{where} : « continues.edition » doit être une année.")
    relation = continues["relation"]
    if relation not in RELATIONS:
        problems.append(
            f"{where} : relation de filiation inconnue « {relation} » (relations possibles : "
            f"{', '.join(RELATIONS)})."
        )
    recoding = continues.get("recoding")
    if relation == Lineage.RECODED:
        if not isinstance(recoding, dict) or not recoding:
            problems.append(
                f"{where} : une relation « recoded » donne la correspondance des codes "
                '(« recoding = { ancien = "nouveau", … } »).'
            )
        elif not all(isinstance(value, str) for value in recoding.values()):
            problems.append(f"{where} : « recoding » associe des codes à des codes.")
    elif recoding is not None:
        problems.append(f"{where} : « recoding » ne va qu'avec la relation « recoded ».")
    return problems


def _validate_crosses(where, kind_class, question, crosses):
    """The shape of a crossing declaration; what it names is checked against the database."""
    if not isinstance(crosses, dict) or not {"survey", "question"} <= set(crosses):
        return [
            f"{where} : « crosses » doit avoir les clés « survey » (le code de l'autre enquête) "
            "et « question » (le code de sa question de la même année)."
        ]
    problems = [
        f"{where} : clé de croisement inconnue « {k} »." for k in set(crosses) - CROSSES_KEYS
    ]
    for key in ("survey", "question"):
        if not isinstance(crosses[key], str) or not crosses[key]:
            problems.append(f"{where} : « crosses.{key} » doit être un code.")
    if not kind_class.has_choices:
        problems.append(
            f"{where} : seule une question à choix (ou une matrice) peut en croiser une autre : "
            "les deux côtés se comparent réponse par réponse."
        )
    left_out = crosses.get("items_left_out", [])
    items = {item.get("code") for item in question.get("items") or [] if isinstance(item, dict)}
    if not isinstance(left_out, list) or not all(isinstance(code, str) for code in left_out):
        problems.append(f"{where} : « crosses.items_left_out » est une liste de codes de lignes.")
    elif unknown := sorted(set(left_out) - items):
        problems.append(
            f"{where} : « crosses.items_left_out » cite des lignes que la question n'a pas : "
            f"{', '.join(unknown)}."
        )
    return problems


def check_crossings(data):
    """Check the file's crossings against the other surveys of the same year in the database.

    Both directions: this file's `crosses` declarations against the questions they name, and
    the other surveys' declarations that name this file's questions. A declaration whose other
    edition is not loaded yet is checked when that edition is loaded.
    """
    year, survey = data["edition"]["year"], survey_code(data)
    mine = {q["code"]: q for section in data["sections"] for q in section["questions"]}
    problems = []
    for question in mine.values():
        if question.get("crosses") is not None:
            problems += _check_crosses(survey, year, question)
    pointing = (
        Question.objects.filter(edition__year=year, crosses_survey=survey)
        .exclude(edition__survey__code=survey)
        .select_related("edition__survey")
        .prefetch_related("choices", "items")
    )
    for other in pointing:
        where = (
            f"question « {other.crosses_question} » : la question « {other.code} » de "
            f"l'enquête « {other.edition.survey.code} » ({year}) la croise"
        )
        question = mine.get(other.crosses_question)
        if question is None:
            problems.append(f"{where}, mais ce fichier n'a pas de question de ce code.")
            continue
        problems += _crossing_mismatch(
            where,
            (other.code, _shape_of_question(other, other.crosses_items_left_out)),
            (question["code"], _shape_of_file(question)),
        )
    if problems:
        raise QuestionnaireError(problems)


def _check_crosses(survey, year, question):
    where = f"question « {question['code']} »"
    crosses = question["crosses"]
    other_survey, code = crosses["survey"], crosses["question"]
    if other_survey == survey:
        return [f"{where} : elle ne peut croiser qu'une question d'une autre enquête."]
    if other_survey != BAROMETER_SURVEY and not Survey.objects.filter(code=other_survey).exists():
        return [
            f"{where} : l'enquête « {other_survey} » n'existe pas dans la base ; vérifiez son "
            "code (celui de la table [survey] de son fichier) ou chargez d'abord son fichier."
        ]
    edition = Edition.objects.for_year(year, other_survey)
    if edition is None:
        return []  # checked when that edition is loaded
    other = edition.questions.prefetch_related("choices", "items").filter(code=code).first()
    if other is None:
        return [
            f"{where} : l'édition {year} de l'enquête « {other_survey} » n'a pas de question "
            f"« {code} »."
        ]
    return _crossing_mismatch(
        f"{where} (croise « {code} » de l'enquête « {other_survey} »)",
        (question["code"], _shape_of_file(question, crosses.get("items_left_out", []))),
        (code, _shape_of_question(other)),
    )


def _shape_of_file(question, left_out=()):
    """(kind, row codes, answer codes) of a question of a file."""
    items = {item["code"] for item in question.get("items") or []} - set(left_out)
    return question["kind"], items, {choice["code"] for choice in question.get("choices") or []}


def _shape_of_question(question, left_out=()):
    """(kind, row codes, answer codes) of a question in the database."""
    items = {item.code for item in question.items.all()} - set(left_out)
    return question.kind, items, {choice.code for choice in question.choices.all()}


def _crossing_mismatch(where, first, second):
    """What differs between two crossed questions, each (code, shape): kind, rows, answers."""
    (first_code, (first_kind, first_items, first_codes)) = first
    (second_code, (second_kind, second_items, second_codes)) = second
    problems = []
    if first_kind != second_kind:
        problems.append(
            f"{where} : les deux questions sont de types différents ({first_code} : {first_kind}, "
            f"{second_code} : {second_kind})."
        )
    for noun, mine, theirs in [
        ("lignes", first_items, second_items),
        ("réponses", first_codes, second_codes),
    ]:
        if mine != theirs:
            problems.append(
                f"{where} : les {noun} diffèrent (seulement dans « {first_code} » : "
                f"{_codes(mine - theirs)} ; seulement dans « {second_code} » : "
                f"{_codes(theirs - mine)})."
            )
    return problems


def check_lineage(data):
    """Check every lineage declaration of a validated file against the earlier editions."""
    year = data["edition"]["year"]
    survey = survey_code(data)
    problems = []
    for section in data["sections"]:
        for question in section["questions"]:
            if question.get("continues") is not None:
                problems += _check_continues(survey, year, question)
    if problems:
        raise QuestionnaireError(problems)


def _check_continues(survey, year, question):
    where = f"question « {question['code']} »"
    continues = question["continues"]
    earlier_year, code, relation = (
        continues["edition"],
        continues["question"],
        continues["relation"],
    )
    if earlier_year >= year:
        return [f"{where} : elle ne peut continuer qu'une édition antérieure à {year}."]
    earlier = (
        Question.objects.filter(edition__survey__code=survey, edition__year=earlier_year, code=code)
        .prefetch_related("choices", "items")
        .first()
    )
    if earlier is None:
        if Edition.objects.for_year(earlier_year, survey) is None:
            return [
                f"{where} : l'édition {earlier_year} n'est pas chargée ; chargez d'abord son "
                f"questionnaire (questionnaires/{earlier_year}.toml)."
            ]
        return [f"{where} : l'édition {earlier_year} n'a pas de question « {code} »."]
    if relation == Lineage.SCOPE_CHANGED:
        return []
    if earlier.kind != question["kind"]:
        return [
            f"{where} : « {code} » ({earlier_year}) est de type {earlier.kind}, celle-ci de type "
            f"{question['kind']} : elles ne sont pas comparables (relation « scope_changed »)."
        ]
    old_items = {item.code for item in earlier.items.all()}
    new_items = {item["code"] for item in question.get("items") or []}
    if old_items != new_items:
        return [
            f"{where} : les lignes diffèrent de celles de « {code} » ({earlier_year}) : "
            "des lignes ajoutées ou retirées changent le périmètre (relation « scope_changed »)."
        ]
    old_codes = {choice.code for choice in earlier.choices.all()}
    new_codes = {choice["code"] for choice in question.get("choices") or []}
    if relation == Lineage.RECODED:
        return _check_recoding(
            where, code, earlier_year, old_codes, new_codes, continues["recoding"]
        )
    if old_codes != new_codes:
        fewer, more = _codes(old_codes - new_codes), _codes(new_codes - old_codes)
        return [
            f"{where} : ses réponses diffèrent de celles de « {code} » ({earlier_year}) "
            f"(en moins : {fewer} ; en plus : {more}) : déclarez la relation « recoded » avec "
            "la correspondance, ou « scope_changed »."
        ]
    if relation == Lineage.IDENTICAL and _wording(earlier.text) != _wording(question["text"]):
        return [
            f"{where} : son libellé diffère de celui de « {code} » ({earlier_year}) : déclarez "
            "la relation « reworded » si le sens est le même."
        ]
    return []


def _check_recoding(where, code, earlier_year, old_codes, new_codes, recoding):
    problems = []
    missing = old_codes - set(recoding)
    if missing:
        problems.append(
            f"{where} : la correspondance ne dit pas ce que deviennent les réponses "
            f"{_codes(missing)} de « {code} » ({earlier_year})."
        )
    unknown = set(recoding) - old_codes
    if unknown:
        problems.append(
            f"{where} : la correspondance cite des réponses que « {code} » ({earlier_year}) "
            f"n'a pas : {_codes(unknown)}."
        )
    targets = set(recoding.values()) - new_codes
    if targets:
        problems.append(
            f"{where} : la correspondance mène à des réponses que la question n'a pas : "
            f"{_codes(targets)}."
        )
    return problems


def _codes(codes):
    return ", ".join(sorted(codes)) or "aucune"


def _wording(text):
    """A wording without its typography: apostrophes, spaces, accents and case."""
    return " ".join(unidecode(text).replace("`", "'").casefold().split())


# -- Applying a validated file --------------------------------------------------------------


def load_questionnaire(path):
    """Validate then apply the file at `path`; return a LoadReport.

    An earlier edition that the file's lineage names and that the database lacks is loaded
    first from its own file beside this one (`2023.toml` beside `2025.toml`), in the same
    transaction; without such a file, the lineage check names what is missing.
    """
    data = read_questionnaire(path)
    with transaction.atomic():
        earlier = _load_earlier_editions(Path(path), data)
        check_lineage(data)
        check_crossings(data)
        report = _apply(data)
    report.created[:0] = [f"édition {year} (depuis {name})" for year, name in earlier]
    return report


def _load_earlier_editions(path, data):
    survey = survey_code(data)
    years = {
        question["continues"]["edition"]
        for section in data["sections"]
        for question in section["questions"]
        if isinstance(question.get("continues"), dict)
        and isinstance(question["continues"].get("edition"), int)
    }
    loaded = []
    for year in sorted(years):
        beside = path.parent / f"{year}.toml"
        if (
            year < data["edition"]["year"]
            and Edition.objects.for_year(year, survey) is None
            and beside.exists()
        ):
            load_questionnaire(beside)
            loaded.append((year, beside.name))
    return loaded


def _sync(instance_or_none, model, report, label, lookup, values):
    """Create or update one row so that it holds `values`; record what changed."""
    if instance_or_none is None:
        instance = model.objects.create(**lookup, **values)
        report.created.append(label)
        return instance
    changed = [name for name, value in values.items() if getattr(instance_or_none, name) != value]
    if changed:
        for name in changed:
            setattr(instance_or_none, name, values[name])
        instance_or_none.save(update_fields=changed)
        report.updated.append(f"{label} ({', '.join(changed)})")
    return instance_or_none


def _decimal_or_none(value):
    return None if value is None else Decimal(str(value))


def _apply(data):
    report = LoadReport()
    meta = data["edition"]
    survey = _apply_survey(data.get("survey"), report)
    edition_values = {
        "title": meta["title"],
        "opens_at": meta["opens_at"],
        "closes_at": meta["closes_at"],
        "estimated_minutes": meta.get("estimated_minutes", 20),
        "intro": meta.get("intro", "").strip(),
    }
    edition = _sync(
        Edition.objects.filter(survey=survey, year=meta["year"]).first(),
        Edition,
        report,
        f"édition {meta['year']}",
        {"survey": survey, "year": meta["year"]},
        edition_values,
    )
    existing_sections = {s.slug: s for s in edition.sections.all()}
    existing_questions = {q.code: q for q in edition.questions.prefetch_related("choices", "items")}
    wanted_codes = {q["code"] for s in data["sections"] for q in s["questions"]}
    _refuse_answered_removals(edition, existing_questions, wanted_codes, data)

    questions_by_code = {}
    for section_position, section_data in enumerate(data["sections"], start=1):
        section = _sync(
            existing_sections.pop(section_data["slug"], None),
            Section,
            report,
            f"section {section_data['slug']}",
            {"edition": edition, "slug": section_data["slug"]},
            {
                "position": section_position,
                "title": section_data["title"],
                "intro": section_data.get("intro", "").strip(),
            },
        )
        for position, question_data in enumerate(section_data["questions"], start=1):
            question = _apply_question(
                edition, section, position, question_data, existing_questions, questions_by_code,
                report,
            )  # fmt: skip
            questions_by_code[question.code] = question

    removed = [q for code, q in existing_questions.items() if code not in wanted_codes]
    # Dependent questions first: a condition protects the question it points to.
    for question in sorted(removed, key=lambda q: q.condition_question_id is None):
        question.delete()
        report.deleted.append(f"question {question.code}")
    for slug, section in existing_sections.items():
        section.delete()
        report.deleted.append(f"section {slug}")
    return report


def _apply_question(edition, section, position, data, existing, questions_by_code, report):
    show_if = data.get("show_if")
    values = {
        "section": section,
        "position": position,
        "text": data["text"].strip(),
        "help_text": data.get("help", "").strip(),
        "kind": data["kind"],
        "required": data.get("required", False),
        "open_data": data.get("open_data", True),
        "is_active": True,
        "max_choices": data.get("max_choices"),
        "min_value": _decimal_or_none(data.get("min")),
        "max_value": _decimal_or_none(data.get("max")),
        "max_length": data.get("max_length"),
        "condition_question": questions_by_code[show_if["question"]] if show_if else None,
        "condition_codes": list(show_if["any_of"]) if show_if else [],
        **KINDS[data["kind"]].stored_options(data),
        **_lineage_values(edition.survey, data.get("continues")),
        **_crossing_values(data.get("crosses")),
    }
    previous_kind = existing[data["code"]].kind if data["code"] in existing else None
    question = _sync(
        existing.get(data["code"]),
        Question,
        report,
        f"question {data['code']}",
        {"edition": edition, "code": data["code"]},
        values,
    )
    if previous_kind is not None and previous_kind != question.kind:
        _clean_answers_again(question)
    _apply_children(question, Choice, question.choices, data.get("choices") or [], report)
    _apply_children(question, MatrixItem, question.items, data.get("items") or [], report)
    return question


def _clean_answers_again(question):
    """Store the answers of a question whose kind changed as its new kind keeps them (an
    integer 4 becomes the decimal "4"); _refuse_answered_removals allowed only kinds that
    take them in."""
    answers = list(question.answers.all())
    for answer in answers:
        answer.value = question.kind_class.clean(question, answer.value)
    question.answers.bulk_update(answers, ["value"])


def _apply_survey(data, report):
    if data is None:
        return Survey.objects.default()
    return _sync(
        Survey.objects.filter(code=data["code"]).first(),
        Survey,
        report,
        f"enquête {data['code']}",
        {"code": data["code"]},
        {"title": data["title"], "audience": data["audience"]},
    )


def _lineage_values(survey, continues):
    if continues is None:
        return {"lineage": Lineage.NEW, "continues": None, "recoding": {}}
    return {
        "lineage": continues["relation"],
        "continues": Question.objects.get(
            edition__survey=survey, edition__year=continues["edition"], code=continues["question"]
        ),
        "recoding": continues.get("recoding", {}),
    }


def _crossing_values(crosses):
    if crosses is None:
        return {"crosses_survey": "", "crosses_question": "", "crosses_items_left_out": []}
    return {
        "crosses_survey": crosses["survey"],
        "crosses_question": crosses["question"],
        "crosses_items_left_out": list(crosses.get("items_left_out", [])),
    }


def _apply_children(question, model, manager, entries, report):
    existing = {child.code: child for child in manager.all()}
    for position, entry in enumerate(entries, start=1):
        values = {"label": entry["label"], "position": position}
        if model is Choice:
            values |= {
                "is_other": entry.get("other", False),
                "is_exclusive": entry.get("exclusive", False),
                "is_dont_know": entry.get("dont_know", False),
                "is_active": True,
            }
        _sync(
            existing.pop(entry["code"], None),
            model,
            report,
            f"{question.code}.{entry['code']}",
            {"question": question, "code": entry["code"]},
            values,
        )
    for code, child in existing.items():
        child.delete()
        report.deleted.append(f"{question.code}.{code}")


def _refuse_answered_removals(edition, existing_questions, wanted_codes, data):
    """Refuse a file that would delete, or change the kind of, something already answered."""
    wanted = {q["code"]: q for s in data["sections"] for q in s["questions"]}
    answered = set(
        edition.questions.filter(answers__isnull=False).values_list("code", flat=True).distinct()
    )
    problems = []
    continued = dict(
        Question.objects.filter(continues__edition=edition)
        .order_by("edition__year")
        .values_list("continues__code", "edition__year")
    )
    for code in sorted(set(existing_questions) - wanted_codes):
        if code in continued:
            problems.append(
                f"question « {code} » : une question de l'édition {continued[code]} la "
                "continue ; elle ne peut pas être retirée du fichier."
            )
    for code, question in existing_questions.items():
        if code not in answered:
            continue
        if code not in wanted_codes:
            problems.append(
                f"question « {code} » : elle a déjà des réponses et ne peut pas être retirée "
                "du fichier. Gardez-la, ou désactivez-la dans l'administration."
            )
            continue
        new_kind = KINDS.get(wanted[code]["kind"])
        if wanted[code]["kind"] != question.kind and question.kind not in getattr(
            new_kind, "takes_answers_of", ()
        ):
            problems.append(
                f"question « {code} » : elle a déjà des réponses, son type ne peut plus "
                f"changer ({question.kind} → {wanted[code]['kind']})."
            )
            continue
        removed_choices = {c.code for c in question.choices.all()} - {
            c["code"] for c in wanted[code].get("choices") or []
        }
        removed_items = {i.code for i in question.items.all()} - {
            i["code"] for i in wanted[code].get("items") or []
        }
        if not removed_choices and not removed_items:
            continue
        used = codes_used_in_answers(question)
        for choice_code in sorted(removed_choices & used):
            problems.append(
                f"question « {code} » : le choix « {choice_code} » a déjà été répondu et ne "
                "peut pas être retiré. Désactivez-le dans l'administration."
            )
        for item_code in sorted(removed_items & used):
            problems.append(
                f"question « {code} » : la ligne « {item_code} » a déjà des réponses et ne "
                "peut pas être retirée."
            )
    if problems:
        raise QuestionnaireError(problems)


def codes_used_in_answers(question):
    """Choice and matrix-item codes that appear in the saved answers of `question`."""
    used = set()
    for value in question.answers.values_list("value", flat=True).iterator():
        used |= question.kind_class.used_codes(value)
    return used
