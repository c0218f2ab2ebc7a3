"""French typography for everything users read: pages, emails, admin texts, export labels.

One function for plain text (`typeset`), one for HTML (`typeset_html`, text nodes only), and
a middleware that applies the latter once to every HTML page, so that no string is fixed
by hand. Rules: a no-break space before « : ; ! ? » and inside « », the typographic
apostrophe, no-break spaces in amounts (« 10 000 € »). A sign glued to what precedes it
(« 3:1 », « 23:59 », URLs) is left alone.
"""

import re

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space, between groups of digits

_SPACE = r"[ \t\r\n]+"
_RULES = [
    # l'adresse, aujourd'hui (also as Django escapes it in HTML: &#x27;, &#39;)
    (re.compile(r"(?<=[^\W\d_])(?:'|&#x27;|&#39;)(?=[^\W\d_])"), "\u2019"),
    (re.compile(_SPACE + r"(?=[:;!?»])"), NBSP),
    (re.compile(r"(?<=«)" + _SPACE), NBSP),
    (re.compile(r"(?<=\d) (?=\d{3}(?!\d))"), NNBSP),
    (re.compile(r"(?<=\d)" + _SPACE + r"(?=€)"), NBSP),
]


# Most text nodes are blanks between tags: only those with one of these need the rules.
_MAY_NEED_TYPESETTING = re.compile(r"[:;!?«»'€]|&#|\d \d")


def typeset(text):
    """French typography for a plain text (an email, a label)."""
    if not _MAY_NEED_TYPESETTING.search(text):
        return text
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def colon_after(text):
    """`text` introducing what follows: « text : », or « text » and a space when it already
    ends with « ? », « ! » or « : » (« Quel stade ? : » would say it twice)."""
    text = text.rstrip()
    if text.endswith(("?", "!", ":")):
        return typeset(text) + " "
    return typeset(text + " : ")


# Elements whose text is code, or what the user is typing, or their answers shown verbatim.
_VERBATIM_TAGS = {"script", "style", "pre", "textarea", "code"}
_TAG = re.compile(
    r"<!--.*?-->|<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S
)


def typeset_html(html):
    """French typography for the text nodes of an HTML document, never its markup."""
    parts = []
    position = 0
    verbatim = None  # (tag name, depth) while inside an element left as it is
    for match in _TAG.finditer(html):
        text = html[position : match.start()]
        parts.append(text if verbatim else typeset(text))
        parts.append(match.group(0))
        position = match.end()
        closing, name, attributes = match.group(1), (match.group(2) or "").lower(), match.group(3)
        if not name:
            continue  # a comment
        if verbatim:
            if name == verbatim[0] and not attributes.rstrip().endswith("/"):
                depth = verbatim[1] + (-1 if closing else 1)
                verbatim = (name, depth) if depth else None
        elif not closing and (name in _VERBATIM_TAGS or "data-verbatim" in attributes):
            verbatim = (name, 1)
    text = html[position:]
    parts.append(text if verbatim else typeset(text))
    return "".join(parts)


class FrenchTypographyMiddleware:
    """Apply `typeset_html` to every HTML page, once, after it is rendered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if (
            not response.streaming
            and content_type.startswith("text/html")
            and not response.has_header("Content-Encoding")
        ):
            charset = response.charset or "utf-8"
            response.content = typeset_html(response.content.decode(charset)).encode(charset)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
