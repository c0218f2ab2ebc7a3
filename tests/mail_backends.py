"""Mail backends for the tests that run the real worker in another process."""

import time

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    """Writes each message to a file, as a slow mail server would accept it: slow enough for
    a test to kill the worker in the middle of a batch."""

    def send_messages(self, email_messages):
        time.sleep(0.02 * len(email_messages))
        return super().send_messages(email_messages)
