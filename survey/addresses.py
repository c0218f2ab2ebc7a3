"""The one rule for an email address typed by anyone: a plain mailbox, nothing else.

RFC 5322 lets an address carry a quoted local part with spaces, colons and slashes
(`"Reconnectez-vous sur http://…"@gmail.com`), and Django's EmailValidator accepts it. Such
text would then travel in mail and pages as if the Observatoire had written it. Every form
that takes an address (and the contacts' import) uses this field or validator instead.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# A dot-atom of the characters real mailboxes use: letters, digits, . _ % + - '
LOCAL_PART = re.compile(r"[A-Za-z0-9_%+'-]+(?:\.[A-Za-z0-9_%+'-]+)*")
MAX_LOCAL_PART = 64  # RFC 5321
MAX_ADDRESS = 254
MESSAGE = (
    "Saisissez une adresse électronique simple, comme prenom.nom@exemple.fr : lettres, "
    "chiffres, points et tirets avant l’arobase, sans guillemets ni espaces."
)


def validate_plain_address(value):
    """A plain address (ValidationError in French otherwise); the empty value is the form's
    business (`required`)."""
    if not value:
        return
    invalid = ValidationError(MESSAGE, code="invalid")
    if len(value) > MAX_ADDRESS or value.count("@") != 1:
        raise invalid
    local = value.rpartition("@")[0]
    if len(local) > MAX_LOCAL_PART or not LOCAL_PART.fullmatch(local):
        raise invalid
    try:
        validate_email(value)  # the domain, internationalised names included
    except ValidationError:
        raise invalid from None


class PlainEmailField(forms.EmailField):
    """An EmailField that accepts only a plain address (validate_plain_address)."""

    default_validators = [validate_plain_address]
    default_error_messages = {"invalid": MESSAGE}
