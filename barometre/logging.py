"""Keep the app's secret links out of every log: Django's and gunicorn's access log.

One rule: the path segment that follows the prefix of a URL whose parameter is a `token`
(resume links, access-grant links). tests/test_privacy_and_abuse.py checks that every such
URL of the URLconf is listed here.
"""

import logging
import re

from gunicorn.glogging import Logger

SECRET_URL_PREFIXES = ("/reprendre/", "/acces/")
TOKEN_IN_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in SECRET_URL_PREFIXES) + r")[^/\s\"?&#]+"
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
    """gunicorn's access log, with tokens masked in every field (request line, path, query,
    Referer and any other header a log format may name)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
