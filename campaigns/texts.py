"""The texts of campaign emails: templates that staff read and edit, with placeholders.

A text is stored as written, with its placeholders (`{lien}`, `{collectivite}`…) and never a
link: the links are made when the email is written for its recipient (outbox.kinds.render).
Placeholders are replaced by plain substitution, never by Django's template language, so a
text edited in the admin cannot reach anything but the values listed here.
"""

import re
from pathlib import Path

from django.core.exceptions import ValidationError

from campaigns.models import MessageKind, StepKind

DEFAULTS = Path(__file__).resolve().parent / "default_texts"
PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")

PLACEHOLDERS = {
    "edition": "le titre de l'édition",
    "collectivite": "la collectivité du destinataire (ou la structure déclarée)",
    "nom": "le nom du contact, vide s'il n'est pas connu",
    "date_cloture": "la date et l'heure de clôture de l'édition (heure de Paris)",
    "lien": "le lien personnel du destinataire (obligatoire)",
    "lien_desinscription": "le lien de désinscription (obligatoire)",
}
# A draft's holder is known by an address only: no name.
BODY_PLACEHOLDERS = {
    MessageKind.INVITATION: set(PLACEHOLDERS),
    MessageKind.REMINDER_NOT_STARTED: set(PLACEHOLDERS),
    MessageKind.REMINDER_DRAFT: set(PLACEHOLDERS) - {"nom"},
    MessageKind.CLOSING_NOTICE: set(PLACEHOLDERS) - {"nom"},
}
SUBJECT_PLACEHOLDERS = {"edition", "collectivite", "date_cloture"}
REQUIRED_IN_BODY = ("lien", "lien_desinscription")
DEFAULT_SUBJECTS = {
    MessageKind.INVITATION: "{edition} : votre collectivité est invitée à répondre",
    MessageKind.REMINDER_NOT_STARTED: "{edition} : il est encore temps de répondre",
    MessageKind.REMINDER_DRAFT: "{edition} : vos réponses ne sont pas encore envoyées",
    MessageKind.CLOSING_NOTICE: "{edition} : clôture dans 48 heures, vos réponses attendent",
}


def default_text(kind):
    """(subject, body) written for `kind` when staff have not edited them."""
    body = (DEFAULTS / f"{kind}.txt").read_text(encoding="utf-8")
    return DEFAULT_SUBJECTS[kind], body.strip() + "\n"


def placeholders_of(kind, subject=False):
    """[(name, description)] of the placeholders a text of `kind` may use, in list order."""
    allowed = SUBJECT_PLACEHOLDERS if subject else BODY_PLACEHOLDERS[kind]
    return [(name, text) for name, text in PLACEHOLDERS.items() if name in allowed]


def check(kind, text, subject=False):
    """Raise a ValidationError in French for a placeholder the text may not use, or a
    required one it lacks."""
    allowed = SUBJECT_PLACEHOLDERS if subject else BODY_PLACEHOLDERS[kind]
    listed = ", ".join(f"{{{name}}}" for name, _ in placeholders_of(kind, subject))
    errors = []
    for name in dict.fromkeys(PLACEHOLDER.findall(text)):
        if name not in allowed:
            where = "l'objet" if subject else "ce message"
            errors.append(
                f"La balise « {{{name}}} » n'existe pas pour {where} : "
                f"les balises possibles sont {listed}."
            )
    if not subject:
        for name in REQUIRED_IN_BODY:
            if f"{{{name}}}" not in text:
                errors.append(f"Le message doit contenir la balise « {{{name}}} ».")
    if errors:
        raise ValidationError(errors)


def fill(text, values):
    """The text with each placeholder replaced by its value (a plain substitution). An empty
    value leaves no space before a comma or a full stop (« Bonjour {nom}, »)."""
    filled = PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), text)
    filled = re.sub(r"[ \t]+([,.])", r"\1", filled)
    return re.sub(r"[ \t]{2,}", " ", filled)


def kinds_of(step_kind):
    """The message kinds a step of `step_kind` sends (a reminder writes two texts)."""
    return {
        StepKind.INVITATION: [MessageKind.INVITATION],
        StepKind.REMINDER: [MessageKind.REMINDER_NOT_STARTED, MessageKind.REMINDER_DRAFT],
        StepKind.CLOSING_NOTICE: [MessageKind.CLOSING_NOTICE],
    }[step_kind]
