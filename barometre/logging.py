"""Keep the app's secret links out of every log: Django's and gunicorn's (access and error).

One rule: the path segment that follows the prefix of a URL whose parameter is a `token`
(resume, access-grant, invitation, unsubscribe and staff enrolment links), written with
plain or percent-encoded slashes. tests/test_bearer_links.py checks that every such URL of
the URLconf, in any namespace, is masked by this rule.
"""

import logging
import re

from gunicorn.glogging import Logger

SECRET_URL_PREFIXES = (
    "/reprendre/",
    "/acces/",
    "/invitation/",
    "/desinscription/",
    "/admin/double-authentification/lien/",
)
_SLASH = "(?:/|%2F)"


def _prefix_pattern(prefix):
    return _SLASH.join(re.escape(part) for part in prefix.split("/"))


TOKEN_IN_PATH = re.compile(
    "(" + "|".join(_prefix_pattern(prefix) for prefix in SECRET_URL_PREFIXES) + r")"
    r"(?:(?!%2F)[^/\s\"?&#])+",
    re.IGNORECASE,
)


def redact(text):
    return TOKEN_IN_PATH.sub(r"\1[masqué]", text)


class RedactTokens(logging.Filter):
    def filter(self, record):
        record.msg = redact(str(record.msg))
        if record.args:
            if isinstance(record.args, dict):
                record.args = {
                    key: redact(value) if isinstance(value, str) else value
                    for key, value in record.args.items()
                }
            else:
                args = record.args if isinstance(record.args, tuple) else (record.args,)
                record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        return True


class GunicornLogger(Logger):
    """gunicorn's logs, with tokens masked: every field of the access log (request line,
    path, query, Referer and any other header a log format may name), and the error log
    (« Error handling request /invitation/… »)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactTokens) for f in log.filters):
                log.addFilter(RedactTokens())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
