"""Every email is a Message first, sent in the background after the commit, retried with
back-off on a passing failure, never sent twice."""

import datetime
import io
import re
import smtplib
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from campaigns import mail as campaign_mail
from campaigns.models import Message, MessageKind, MessageStatus
from campaigns.tasks import send_message

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def queue_one():
    """A receipt: written when queued (the messages with a link are written when sent)."""
    return campaign_mail.queue(
        MessageKind.RECEIPT, "Agent@Mairie.fr", "Vos réponses", "Vos réponses : oui, non"
    )


def failing_with(error, calls):
    def send(self, *args, **kwargs):
        calls.append(self.to)
        raise error

    return send


def test_an_email_leaves_only_once_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_one()
        assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert mail.outbox[0].to == ["agent@mairie.fr"]
    assert message.body_text == ""  # the log keeps no copy of the answers once sent


def test_nothing_leaves_when_the_transaction_is_rolled_back(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue_one()
        raise RuntimeError
    assert mail.outbox == []
    assert not Message.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_passing_failure_is_retried_with_back_off_then_given_up(monkeypatch):
    calls = []
    error = smtplib.SMTPServerDisconnected("coupé")
    monkeypatch.setattr(campaign_mail.EmailMultiAlternatives, "send", failing_with(error, calls))
    message = queue_one()
    waits = []
    for _ in range(campaign_mail.MAX_ATTEMPTS):
        campaign_mail.deliver(message.pk, now=timezone.now())
        message.refresh_from_db()
        waits.append(message.next_attempt_at - NOW)
    assert waits[:-1] == campaign_mail.BACKOFF
    assert message.status == MessageStatus.FAILED
    assert message.attempts == campaign_mail.MAX_ATTEMPTS == len(calls)
    assert "SMTPServerDisconnected: coupé" in message.last_error


def test_a_refused_recipient_fails_at_once_without_retry(monkeypatch):
    calls = []
    error = smtplib.SMTPRecipientsRefused({"agent@mairie.fr": (550, b"inconnu")})
    monkeypatch.setattr(campaign_mail.EmailMultiAlternatives, "send", failing_with(error, calls))
    message = queue_one()
    assert campaign_mail.deliver(message.pk) == MessageStatus.FAILED
    assert len(calls) == 1
    message.refresh_from_db()
    assert message.body_text == ""  # nor of a message never sent


def test_a_message_already_sent_is_never_sent_again():
    message = queue_one()
    assert campaign_mail.deliver(message.pk) == MessageStatus.SENT
    assert campaign_mail.deliver(message.pk) is None
    send_message.enqueue(message.pk)
    assert len(mail.outbox) == 1


def test_the_sweep_sends_what_a_dead_worker_left_queued_and_only_that():
    with time_machine.travel(NOW, tick=False):
        stuck = queue_one()  # its task was lost: never run
    sent = queue_one()
    campaign_mail.deliver(sent.pk)
    recent = queue_one()  # queued a minute ago: its task may still be on its way
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1), tick=False):
        mail.outbox.clear()
        output = io.StringIO()
        call_command("sweep_messages", stdout=output)
    assert output.getvalue() == "1 message(s) remis en file.\n"
    assert [m.to for m in mail.outbox] == [["agent@mairie.fr"]]
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert (stuck.status, recent.status) == (MessageStatus.SENT, MessageStatus.QUEUED)


def test_a_campaign_batch_goes_through_one_connection_to_the_mail_server(settings):
    from campaigns.tasks import send_batch
    from tests.mail_backends import CountingBackend

    settings.MAILERS = {"default": {"BACKEND": "tests.mail_backends.CountingBackend"}}
    CountingBackend.opened = 0
    pks = [queue_one().pk for _ in range(3)]
    assert send_batch.enqueue(pks).return_value == 3
    assert CountingBackend.opened == 1
    assert len(mail.outbox) == 3


def test_no_code_sends_an_email_but_the_background_task():
    """Every email is a Message sent by campaigns.tasks, never from a request's code."""
    root = Path(__file__).resolve().parent.parent
    senders = re.compile(r"\b(send_mail|send_mass_mail|mail_admins|EmailMessage|"
                         r"EmailMultiAlternatives|mailers)\b")  # fmt: skip
    allowed = {root / "campaigns" / "mail.py", root / "campaigns" / "tasks.py"}
    found = [
        str(path.relative_to(root))
        for folder in ("barometre", "survey", "results", "campaigns")
        for path in (root / folder).rglob("*.py")
        if path not in allowed and senders.search(path.read_text())
    ]
    assert found == []


def test_starting_queues_the_resume_link_and_sends_nothing_during_the_request(
    client, small_survey, monkeypatch
):
    from django.urls import reverse

    waiting = []
    monkeypatch.setattr(campaign_mail.transaction, "on_commit", waiting.append)
    assert client.post(reverse("start"), {"email": "agent@mairie.fr"}).status_code == 302
    assert mail.outbox == []
    message = Message.objects.get()
    assert (message.kind, message.status) == (MessageKind.RESUME_LINK, MessageStatus.QUEUED)
    waiting[0]()  # the commit
    assert mail.outbox[0].to == ["agent@mairie.fr"]
