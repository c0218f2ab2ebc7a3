"""The email worker, kept running: `db_worker` started again whenever it stops."""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

# Seconds before starting a worker that died again, doubling up to the maximum: a worker
# that dies at once (database gone, broken settings) does not spin the processor.
FIRST_DELAY = 1
MAX_DELAY = 30
# A worker that ran this long before dying was healthy: the next one starts after FIRST_DELAY.
HEALTHY_RUN = 60


class Command(BaseCommand):
    help = (
        "Lance le programme d'envoi en arrière-plan (db_worker) et le relance s'il s'arrête "
        "(base verrouillée, erreur) ; s'arrête avec lui sur Ctrl-C ou SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "worker_args",
            nargs="*",
            help="Options passées à db_worker (après --), par exemple -- --interval 0.5.",
        )

    def handle(self, worker_args, **options):
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "db_worker", "--no-reload"]
        command += worker_args
        self.stopping = False
        self.worker = None
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        delay = FIRST_DELAY
        while not self.stopping:
            started = time.monotonic()
            # In its own process group: Ctrl-C in the terminal reaches this command only,
            # which passes it on once (a second signal would stop a send half-way).
            self.worker = subprocess.Popen(command, process_group=0)  # noqa: S603 (our manage.py)
            if self.stopping:  # told to stop while it was starting
                self.worker.terminate()
            code = self.worker.wait()
            if self.stopping:
                break
            if time.monotonic() - started > HEALTHY_RUN:
                delay = FIRST_DELAY
            self.stderr.write(
                f"Le programme d'envoi (db_worker, pid {self.worker.pid}) s'est arrêté "
                f"(code {code}) : relancé dans {delay} s."
            )
            self.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)

    def sleep(self, seconds):
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(0.1)

    def stop(self, signum, frame):
        """Stop the worker (it finishes its task) and do not start another."""
        if self.stopping:
            return  # Ctrl-C, then the Makefile's trap: the worker is told once
        self.stopping = True
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signum)
