"""The official list of collectivités: loading it, searching it, checking a SIREN.

The list ships as data/collectivites-2025.csv.gz (see data/README.md). Search works on
`Collectivite.search_text`, filled by the loader: each accepted spelling of the name,
normalised (no accents, case, hyphens or apostrophes; « St » is « Saint »), between `|`
marks, e.g. `| departement de l ain | ain conseil departemental |`, so that plain
LIKE patterns find a name's start (`%| ain%`) or any word's start (`% ain%`) on SQLite and
PostgreSQL alike.
"""

import csv
import dataclasses
import functools
import gzip
import hashlib
import io
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Q, Value, When
from unidecode import unidecode

from survey.collectivites.models import Collectivite
from survey.collectivites.reference import COLUMNS, luhn_is_valid
from survey.enums import CollectiviteKind, PopulationBand

DEFAULT_DATA_FILE = Path(settings.BASE_DIR) / "data" / "collectivites-2025.csv.gz"

# -- Normalisation ------------------------------------------------------------------------

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ARTICLES = ("l", "le", "la", "les")


def normalize(text):
    """Lower-case ASCII words separated by single spaces: « Saint-Étienne » -> "saint etienne".

    Accents, case, hyphens, apostrophes and punctuation do not count; « St », « Ste » are
    spelt out so that « st etienne » finds Saint-Étienne.
    """
    words = _NOT_ALNUM.sub(" ", unidecode(str(text)).lower()).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


_EPCI_PREFIXES = {
    "cc": "communaute de communes",
    "ca": "communaute d agglomeration",
    "cu": "communaute urbaine",
}
_KIND_ALIASES = {
    CollectiviteKind.DEPARTEMENT: "conseil departemental",
    CollectiviteKind.REGION: "conseil regional",
}
_BEFORE_BARE_NAME = re.compile(
    r"^(departement|region|collectivite( territoriale| europeenne)?)( de| du| des| d)?( la| l)? "
)


def search_text_for(kind, name):
    """The spellings under which a collectivité can be found, as stored in `search_text`."""
    name = normalize(name)
    spellings = [name]
    words = name.split()
    if kind == CollectiviteKind.COMMUNE and len(words) > 1 and words[0] in _ARTICLES:
        spellings.append(" ".join(words[1:]))  # « haye du puits » finds La Haye-du-Puits
    elif kind == CollectiviteKind.EPCI and words and words[0] in _EPCI_PREFIXES:
        spellings.append(" ".join([_EPCI_PREFIXES[words[0]], *words[1:]]))
    elif kind not in (CollectiviteKind.COMMUNE, CollectiviteKind.EPCI):
        # « Département de l'Ain » is also « ain » and « conseil départemental de l'Ain ».
        bare = _BEFORE_BARE_NAME.sub("", name)
        spellings.append(bare)
        if kind in _KIND_ALIASES:
            spellings.append(f"{_KIND_ALIASES[kind]} {bare}")
    return "|" + "|".join(f" {spelling} " for spelling in spellings) + "|"


# -- Search -------------------------------------------------------------------------------

MAX_QUERY_LENGTH = 100
MAX_WORDS = 8
_DEPARTEMENT_CODE = re.compile(r"^(\d{2,3}|2a|2b)$")
_INSEE_CODE = re.compile(r"^(\d{5}|2[ab]\d{3})$")


def search(query, limit=20):
    """Collectivités matching a name, a postcode, an INSEE code, a SIREN or a SIRET.

    Ranked: the exact name, then names that start with the query, then names with a word
    that starts with it (words in another order only when nothing else matches); the larger
    population first within each rank. A trailing département code narrows a name ("saint
    denis 974"). Returns a list, empty for a query too short or too long to mean anything.
    """
    if not isinstance(query, str) or len(query) > MAX_QUERY_LENGTH:
        return []
    text = normalize(query)
    digits = text.replace(" ", "")
    by_size = Collectivite.objects.order_by("-population", "name")
    if digits.isdigit() and len(digits) in (9, 14):
        return list(by_size.filter(siren=digits[:9])[:limit])
    if _INSEE_CODE.match(digits):
        return list(
            by_size.filter(Q(insee_code=digits.upper()) | Q(postcodes__contains=digits))[:limit]
        )
    if digits.isdigit() and 2 <= len(digits) <= 4:
        # The start of a postcode, or a département code.
        return list(
            by_size.filter(
                Q(postcodes__startswith=digits)
                | Q(postcodes__contains=f" {digits}")
                | Q(departement_code=digits)
            )[:limit]
        )

    words = text.split()[:MAX_WORDS]
    if len(words) > 1 and _DEPARTEMENT_CODE.match(words[-1]):
        by_size = by_size.filter(departement_code=words.pop().upper())
    phrase = " ".join(words)
    if len(phrase) < 2:
        return []
    rank = Case(
        When(search_text__contains=f"| {phrase} |", then=Value(0)),
        When(search_text__contains=f"| {phrase}", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    # The words as typed, in order: one pattern, selective enough for the trigram index.
    matches = by_size.filter(search_text__contains=f" {phrase}")
    found = list(matches.annotate(rank=rank).order_by("rank", "-population", "name")[:limit])
    if not found and len(words) > 1:
        # The same words in another order ("denis saint").
        every_word = Q(*(Q(search_text__contains=f" {word}") for word in words))
        found = list(by_size.filter(every_word)[:limit])
    return found


# -- Cached results -------------------------------------------------------------------------

# The combobox sends a request per keystroke, and people type the same beginnings ("sa",
# "saint", "mar"): results are kept in the cache (Redis in production, shared by the
# processes) under the list's version, which any change to the list replaces.
SEARCH_CACHE_SECONDS = 24 * 3600
_VERSION_KEY = "collectivites:version"


def list_version():
    return cache.get_or_set(_VERSION_KEY, lambda: uuid.uuid4().hex, timeout=None)


def forget_searches(**kwargs):
    """The list changed: every cached result is left behind (a new version)."""
    cache.set(_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def cached_search(query, build):
    """`build(search(query))` (JSON-ready), from the cache when this query was answered
    since the list last changed. `query` is normalised first, so spellings share a result."""
    if not isinstance(query, str) or len(query) > MAX_QUERY_LENGTH:
        return build([])
    digest = hashlib.sha256(f"{list_version()}|{normalize(query)}".encode()).hexdigest()
    key = f"collectivites:recherche:{digest}"
    results = cache.get(key)
    if results is None:
        results = build(search(query))
        cache.set(key, results, timeout=SEARCH_CACHE_SECONDS)
    return results


# -- SIREN --------------------------------------------------------------------------------


def clean_siren(value):
    """A SIREN typed by a person, checked: nine digits and a valid check key.

    Spaces and dots are ignored; a SIRET (14 digits) gives its SIREN (the first nine).
    Raises ValidationError with a French message.
    """
    digits = re.sub(r"[\s.\u00a0\u202f-]", "", value or "")
    if not (digits.isascii() and digits.isdigit()):  # not "²" nor full-width digits: int() fails
        raise ValidationError(
            "Le SIREN ne contient que des chiffres (9 chiffres).", code="siren_not_digits"
        )
    if len(digits) == 14:
        if not luhn_is_valid(digits):
            raise ValidationError(
                "Ce numéro SIRET n'est pas valide : vérifiez les chiffres.", code="siret_key"
            )
        digits = digits[:9]
    if len(digits) != 9:
        raise ValidationError(
            "Le SIREN compte 9 chiffres (vous en avez saisi %(count)s).",
            code="siren_length",
            params={"count": len(digits)},
        )
    if not luhn_is_valid(digits):
        raise ValidationError(
            "Ce SIREN n'est pas valide : un chiffre est sans doute erroné "
            "(la clé de contrôle ne correspond pas).",
            code="siren_key",
        )
    return digits


# -- Loading ------------------------------------------------------------------------------

_FIELDS = [column for column in COLUMNS if column not in ("kind",)] + [
    "kind",
    "population_band",
    "search_text",
]


class CollectiviteFileError(Exception):
    pass


@dataclasses.dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing_from_file: int = 0
    by_kind: dict = dataclasses.field(default_factory=dict)


def _read_rows(path):
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CollectiviteFileError(f"Impossible de lire {path} : {error.strerror}.") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            raise CollectiviteFileError(f"{path} n'est pas un fichier gzip valide.") from None
    try:
        reader = csv.DictReader(io.StringIO(raw.decode("utf-8")))
        if reader.fieldnames != COLUMNS:
            raise CollectiviteFileError(
                f"Colonnes inattendues dans {path} : {reader.fieldnames}, attendu : {COLUMNS}."
            )
        return list(reader)
    except (UnicodeDecodeError, csv.Error) as error:
        raise CollectiviteFileError(f"{path} n'est pas un CSV UTF-8 lisible : {error}") from None


@functools.cache
def official_regions(path=DEFAULT_DATA_FILE):
    """[(code, name)] of the régions in the official list's file, by code. A région has a
    two-digit INSEE code; the overseas collectivités' three-digit codes are not régions."""
    rows = _read_rows(path)
    return sorted({(row["region_code"], row["region_name"]) for row in rows
                   if len(row["region_code"]) == 2})  # fmt: skip


def _identity(siren, insee_code):
    return ("siren", siren) if siren else ("insee", insee_code)


def _build(rows):
    """Validate every row and return {identity: field values}; raise on the first problems."""
    wanted = {}
    problems = []
    kinds = set(CollectiviteKind.values)
    for line, row in enumerate(rows, start=2):
        siren = row["siren"].strip()
        kind = row["kind"].strip()
        population = row["population"].strip()
        if kind not in kinds:
            problems.append(f"ligne {line} : type inconnu « {kind} »")
        if siren and not (len(siren) == 9 and siren.isdigit()):
            problems.append(f"ligne {line} : SIREN invalide « {siren} »")
        if not siren and not (kind == CollectiviteKind.COMMUNE and row["insee_code"].strip()):
            problems.append(f"ligne {line} : ni SIREN ni code INSEE de commune")
        if not population.isdigit():
            problems.append(f"ligne {line} : population invalide « {population} »")
        if not row["name"].strip():
            problems.append(f"ligne {line} : nom vide")
        if len(problems) >= 20:
            break
        if problems:
            continue
        values = {column: row[column].strip() for column in COLUMNS}
        values["siren"] = siren or None
        values["population"] = int(population)
        values["population_band"] = PopulationBand.for_population(values["population"]).value
        values["search_text"] = search_text_for(kind, values["name"])
        key = _identity(siren, values["insee_code"])
        if key in wanted:
            problems.append(f"ligne {line} : {key[1]} apparaît deux fois")
        wanted[key] = values
    if problems:
        raise CollectiviteFileError(
            "Fichier refusé, rien n'a été modifié :\n- " + "\n- ".join(problems)
        )
    return wanted


def _insert(rows):
    """Insert new collectivités ({field: value}) with one prepared statement run for every
    row: the first load of the whole list (35,000 rows, `make run` from a fresh clone) takes
    a fraction of a second where bulk_create spends seconds building its SQL."""
    if not rows:
        return
    fields = [Collectivite._meta.get_field(name) for name in _FIELDS]
    quote = connection.ops.quote_name
    statement = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
        quote(Collectivite._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            statement,
            [
                [field.get_db_prep_save(row[field.name], connection) for field in fields]
                for row in rows
            ],
        )


def load_collectivites(path=DEFAULT_DATA_FILE):
    """Create or update the collectivités from a data file, in one transaction.

    Idempotent: a second load of the same file changes nothing. Collectivités that are no
    longer in the file are kept (responses may point to them) and only counted.
    """
    wanted = _build(_read_rows(path))
    report = LoadReport()
    with transaction.atomic():
        existing = {
            _identity(row["siren"], row["insee_code"]): row
            for row in Collectivite.objects.values("id", *_FIELDS)
        }
        to_create, to_update = [], []
        for key, values in wanted.items():
            current = existing.get(key)
            if current is None:
                to_create.append(values)
            elif any(current[field] != values[field] for field in _FIELDS):
                to_update.append(Collectivite(id=current["id"], **values))
            else:
                report.unchanged += 1
        _insert(to_create)
        Collectivite.objects.bulk_update(to_update, _FIELDS, batch_size=500)
    if (to_create or to_update) and connection.vendor == "postgresql":
        # Fresh statistics let the planner choose the trigram index for selective searches,
        # and a vacuum moves the bulk-inserted entries out of the index's pending list,
        # which every search would otherwise read (not possible inside a transaction).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(f"{command} {Collectivite._meta.db_table}")
    if to_create or to_update:
        forget_searches()
    report.created = len(to_create)
    report.updated = len(to_update)
    report.missing_from_file = len(existing.keys() - wanted.keys())
    for values in wanted.values():
        report.by_kind[values["kind"]] = report.by_kind.get(values["kind"], 0) + 1
    return report
