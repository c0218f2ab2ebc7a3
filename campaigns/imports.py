"""The CSV of contacts staff import for an edition: every line checked, all or nothing."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.models import Contact, normalise_email
from survey.addresses import validate_plain_address
from survey.collectivites.models import Collectivite
from survey.enums import CollectiviteKind

# Accepted column names (lower case, without accents), for each field.
COLUMNS = {
    "code": {"siren", "code", "code insee", "code_insee", "insee", "siren ou code insee"},
    "email": {"email", "e-mail", "courriel", "adresse", "adresse electronique"},
    "name": {"nom", "name"},
    "function": {"fonction", "function"},
}
MAX_ERRORS = 50  # reported line by line; beyond, the count only


@dataclass
class ImportResult:
    created: int = 0
    already_known: int = 0
    errors: list = field(default_factory=list)  # French, « Ligne 12 : … »
    error_count: int = 0


def _decode(data):
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _plain(name):
    return (name or "").strip().lower().replace("é", "e").replace("è", "e")


def _collectivite_codes():
    """{SIREN or commune INSEE code: collectivité id}, in two queries for the whole list."""
    codes = dict(Collectivite.objects.exclude(siren=None).values_list("siren", "pk"))
    communes = Collectivite.objects.filter(kind=CollectiviteKind.COMMUNE).exclude(insee_code="")
    for insee, pk in communes.values_list("insee_code", "pk"):
        codes.setdefault(insee, pk)
    return codes


def import_contacts(edition, data):
    """Read `data` (bytes of a CSV file) into contacts of `edition`; nothing is written when
    any line is wrong. Returns an ImportResult."""
    result = ImportResult()

    def error(message):
        result.error_count += 1
        if len(result.errors) < MAX_ERRORS:
            result.errors.append(message)

    text = _decode(data)
    if text is None or not text.strip():
        error("Le fichier est vide ou n'est pas un fichier texte (CSV).")
        return result
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [_plain(name) for name in next(reader)]
    except (csv.Error, StopIteration):
        error("Ligne 1 : en-tête illisible.")
        return result
    positions = {}
    for key, names in COLUMNS.items():
        found = [i for i, name in enumerate(header) if name in names]
        if found:
            positions[key] = found[0]
    missing = [label for key, label in (("code", "SIREN ou code INSEE"), ("email", "email"))
               if key not in positions]  # fmt: skip
    if missing:
        error(
            "Ligne 1 : colonne(s) manquante(s) : " + ", ".join(missing)
            + ". Colonnes attendues : SIREN ou code INSEE, email, nom (facultatif), "
            "fonction (facultatif)."
        )  # fmt: skip
        return result

    codes = _collectivite_codes()
    known = set(Contact.objects.filter(edition=edition).values_list("collectivite_id", "email"))
    seen, contacts = set(), []
    rows = enumerate(reader, start=2)
    while True:
        try:
            number, row = next(rows)
        except StopIteration:
            break
        except csv.Error as problem:  # a field beyond 128 KiB…
            error(f"Ligne {reader.line_num} : ligne illisible ({problem}).")
            break
        if not any(cell.strip() for cell in row):
            continue

        def cell(key, row=row):
            position = positions.get(key)
            return row[position].strip() if position is not None and position < len(row) else ""

        code, email = cell("code").upper().replace(" ", ""), normalise_email(cell("email"))
        name, function = cell("name"), cell("function")
        problems = []
        collectivite_id = codes.get(code)
        if not code:
            problems.append("SIREN ou code INSEE manquant")
        elif collectivite_id is None:
            problems.append(f"aucune collectivité de la liste officielle n'a le code « {code} »")
        if not email:
            problems.append("adresse manquante")
        else:
            try:
                validate_plain_address(email)
            except ValidationError:
                problems.append(f"adresse électronique invalide « {email} »")
        if len(name) > 200 or len(function) > 200:
            problems.append("nom ou fonction de plus de 200 caractères")
        if problems:
            error(f"Ligne {number} : " + " ; ".join(problems) + ".")
            continue
        key = (collectivite_id, email)
        if key in known or key in seen:
            result.already_known += 1
            continue
        seen.add(key)
        contacts.append(
            Contact(
                edition=edition,
                collectivite_id=collectivite_id,
                email=email,
                name=name,
                function=function,
            )
        )
    if result.error_count:
        return result
    with transaction.atomic():
        # A concurrent import of the same lines: the constraint keeps one of each.
        Contact.objects.bulk_create(contacts, batch_size=2000, ignore_conflicts=True)
    result.created = len(contacts)
    return result
