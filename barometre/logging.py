"""Keep resume tokens out of every log: Django's and gunicorn's access log."""

import logging
import re

from gunicorn.glogging import Logger

TOKEN_IN_PATH = re.compile(r"(/reprendre/)[^/\s\"?]+")


def redact(text):
    return TOKEN_IN_PATH.sub(r"\1[masqué]", text)


class RedactTokens(logging.Filter):
    def filter(self, record):
        record.msg = redact(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        return True


class GunicornLogger(Logger):
    """gunicorn's access log, with tokens masked in the request line and the path."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
