"""Mail backends for the tests, some run by the real worker in another process."""

import os
import time
from pathlib import Path

from django.core.mail.backends import locmem
from django.core.mail.backends.filebased import EmailBackend


class HangingFileBackend(EmailBackend):
    """Writes each message to a file, as a mail server that accepts it. With HANG_AFTER=n in
    the environment, the (n+1)th message never gets an answer: the backend writes a `hanging`
    marker beside the mailbox and waits, so a test can kill the worker in the middle of a
    send, deterministically."""

    sent = 0

    def send_messages(self, email_messages):
        hang_after = os.environ.get("HANG_AFTER")
        if hang_after is not None and type(self).sent >= int(hang_after):
            (Path(self.file_path).parent / "hanging").touch()
            time.sleep(600)
        type(self).sent += len(email_messages)
        return super().send_messages(email_messages)


class CountingBackend(locmem.EmailBackend):
    """The test outbox, counting the connections opened (one per batch expected)."""

    opened = 0

    def open(self):
        type(self).opened += 1
        return True
