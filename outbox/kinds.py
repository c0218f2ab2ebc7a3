"""Every kind of email, written one way: three templates per kind, rendered when it is sent.

A kind's templates are `outbox/<kind>/subject.txt`, `body.txt` and `body.html`. They are
rendered when the message is sent, with the context that the kind's `context(message)` makes at
that moment: a personal link exists in clear only in the email being written, never in the
database. The apps that send a kind declare it from their own AppConfig.ready() (`declare`),
so the outbox imports none of them; a kind that no app declares, or that lacks one of its
templates, is refused by the system checks (`manage.py check`, `migrate`, `runserver`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core import checks
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string

from survey.typography import typeset, typeset_html

TEMPLATES = ("subject.txt", "body.txt", "body.html")


def always(message):
    return True


@dataclass(frozen=True)
class Kind:
    name: str
    # message -> the templates' context, personal links made now.
    context: Callable
    # message -> whether it is still to be sent (False: cancelled, nothing leaves).
    still_wanted: Callable = always
    # message -> the one-click unsubscribe address (RFC 8058), for a kind that has one.
    unsubscribe_url: Callable | None = None


DECLARED = {}


def declare(name, context, *, still_wanted=always, unsubscribe_url=None):
    DECLARED[str(name)] = Kind(str(name), context, still_wanted, unsubscribe_url)


def of(message):
    return DECLARED[message.kind]


def template_names(name):
    return [f"outbox/{name}/{template}" for template in TEMPLATES]


def render(message):
    """(subject, plain text, HTML) of a message, written now from its kind's templates."""
    kind = of(message)
    return render_templates(kind.name, kind.context(message) | {"message": message})


def render_templates(name, context):
    """(subject, plain text, HTML) of kind `name` with that context."""
    subject_name, text_name, html_name = template_names(name)
    subject = " ".join(render_to_string(subject_name, context).split())
    text = render_to_string(text_name, context)
    html = render_to_string(html_name, context)
    return typeset(subject), typeset(text), typeset_html(html)


def check_declared(app_configs=None, **kwargs):
    """A system check: every kind of message is declared and has its three templates."""
    from outbox.models import MessageKind

    errors = []
    for kind in MessageKind:
        if kind.value not in DECLARED:
            errors.append(
                checks.Error(
                    f"Message kind {kind.value!r} is declared by no app (outbox.kinds.declare).",
                    id="outbox.E001",
                )
            )
        for name in template_names(kind.value):
            try:
                get_template(name)
            except TemplateDoesNotExist:
                errors.append(
                    checks.Error(f"Message kind {kind.value!r} has no template {name}.",
                                 id="outbox.E002")
                )  # fmt: skip
    return errors
