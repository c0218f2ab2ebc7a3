"""The delivery log's errors: a 4xx refusal is retried, a 5xx fails; no address is kept in
the error, and the opted-out addresses need the contacts' permission (issue 23, points 6
and 7)."""

import datetime
import importlib
import smtplib
import socketserver
import threading

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from campaigns import mail as campaign_mail
from campaigns.models import Message, MessageKind, MessageStatus, OptOut, Step, StepKind
from survey.collectivites.models import Collectivite

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
ADDRESS = "agent.secret@mairie.fr"


def queue_one(edition=None):
    # A receipt: the one kind whose text is written when queued (a message with a link is
    # written from its rows when sent, and cancelled without them).
    return campaign_mail.queue(
        MessageKind.RECEIPT, ADDRESS, "Votre accusé de réception", "Vos réponses", edition=edition
    )


def refusing(code, text, calls):
    def send(self, *args, **kwargs):
        calls.append(self.to)
        raise smtplib.SMTPRecipientsRefused({ADDRESS: (code, text)})

    return send


@time_machine.travel(NOW, tick=False)
def test_a_greylisting_451_at_rcpt_is_retried_with_back_off(monkeypatch):
    calls = []
    answer = f"4.7.1 <{ADDRESS}>: Recipient address rejected: greylisted, try later".encode()
    monkeypatch.setattr(campaign_mail.EmailMultiAlternatives, "send", refusing(451, answer, calls))
    message = queue_one()
    assert campaign_mail.deliver(message.pk, now=timezone.now()) == MessageStatus.QUEUED
    message.refresh_from_db()
    assert message.next_attempt_at - NOW == campaign_mail.BACKOFF[0]
    assert message.attempts == 1 and len(calls) == 1
    # The server accepts it on a later attempt.
    monkeypatch.undo()
    with time_machine.travel(message.next_attempt_at, tick=False):
        assert campaign_mail.deliver(message.pk) == MessageStatus.SENT


def test_a_recipient_refused_with_a_5xx_fails_at_once(monkeypatch):
    calls = []
    monkeypatch.setattr(
        campaign_mail.EmailMultiAlternatives, "send", refusing(550, b"5.1.1 unknown", calls)
    )
    message = queue_one()
    assert campaign_mail.deliver(message.pk) == MessageStatus.FAILED
    assert len(calls) == 1


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPRecipientsRefused(
            {ADDRESS: (550, f"5.1.1 <{ADDRESS}>: Recipient address rejected".encode())}
        ),
        smtplib.SMTPDataError(554, f"5.7.1 Message to {ADDRESS.upper()} refused".encode()),
        smtplib.SMTPSenderRefused(553, b"5.7.1 sender refused", "barometre@localhost"),
        smtplib.SMTPRecipientsRefused({ADDRESS: (550, b'5.1.1 "Jean Dupont"@mairie.fr unknown')}),
    ],
    ids=["recipients-refused", "data-error", "sender-refused", "quoted-local-part"],
)
def test_the_delivery_log_keeps_the_server_s_answer_without_any_address(monkeypatch, error):
    def send(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(campaign_mail.EmailMultiAlternatives, "send", send)
    message = queue_one()
    campaign_mail.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "@" not in message.last_error
    assert "[adresse masquée]" in message.last_error or "sender refused" in message.last_error
    assert message.last_error.startswith(type(error).__name__ + ": 55")


def test_the_observatoire_group_reads_failures_without_the_recipient_s_address(
    client, small_survey, monkeypatch
):
    vaulx = Collectivite.objects.get(siren="216902567")
    from campaigns.models import Contact

    Contact.objects.create(edition=small_survey, collectivite=vaulx, email=ADDRESS)
    step = Step.objects.create(edition=small_survey, kind=StepKind.INVITATION)
    from campaigns.audience import queue_step

    queue_step(step)
    answer = f"5.1.1 <{ADDRESS}>: Recipient address rejected: User unknown".encode()
    monkeypatch.setattr(campaign_mail.Email, "send", refusing(550, answer, []))
    (message,) = Message.objects.filter(step=step)
    campaign_mail.deliver(message.pk)
    member = User.objects.create_user("suivi", password="un mot de passe assez long",
                                      is_staff=True)  # fmt: skip
    member.groups.add(Group.objects.get(name="Observatoire"))
    client.force_login(member)
    for url in (
        reverse("admin:campaigns_step_campaign", args=[small_survey.pk]),
        reverse("admin:outbox_message_changelist"),
        reverse("admin:outbox_message_change", args=[message.pk]),
    ):
        page = client.get(url)
        content = page.content.decode()
        assert page.status_code == 200, url
        assert "agent.secret" not in content and "User unknown" in content, url


def test_the_migration_masks_the_addresses_already_in_the_log():
    message = queue_one()
    Message.objects.filter(pk=message.pk).update(
        last_error=f"SMTPRecipientsRefused: {{'{ADDRESS}': (550, b'5.1.1 <{ADDRESS}> unknown')}}"
    )
    migration = importlib.import_module(
        "campaigns.migrations.0004_mask_addresses_in_delivery_errors"
    )
    # The models as that migration knew them (the log was campaigns' then: outbox since).
    state = MigrationExecutor(connection).loader.project_state(
        ("campaigns", "0004_mask_addresses_in_delivery_errors")
    )
    migration.mask_addresses(state.apps, None)
    message.refresh_from_db()
    assert "@" not in message.last_error and "550" in message.last_error


@pytest.mark.parametrize("codename", ["change_optout", "delete_optout", "add_optout"])
def test_a_user_with_an_opt_out_permission_but_not_the_contacts_one_lists_no_address(
    client, small_survey, codename
):
    OptOut.objects.create(email="desinscrit@vaulx.fr", edition=small_survey,
                          reason="unsubscribed")  # fmt: skip
    opt_out = OptOut.objects.get()
    user = User.objects.create_user("gestion", password="un mot de passe assez long",
                                    is_staff=True)  # fmt: skip
    user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    for url in (
        reverse("admin:campaigns_optout_changelist"),
        reverse("admin:campaigns_optout_change", args=[opt_out.pk]),
        reverse("admin:campaigns_optout_add"),
        reverse("admin:campaigns_optout_delete", args=[opt_out.pk]),
    ):
        page = client.get(url)
        assert page.status_code in (302, 403, 404), url
        assert "desinscrit@vaulx.fr" not in page.content.decode(), url
    assert client.post(
        reverse("admin:campaigns_optout_delete", args=[opt_out.pk]), {"post": "yes"}
    ).status_code in (302, 403)
    assert OptOut.objects.filter(pk=opt_out.pk).exists()


def test_the_contacts_permission_still_lists_opt_outs(client, small_survey):
    OptOut.objects.create(email="desinscrit@vaulx.fr", edition=small_survey,
                          reason="unsubscribed")  # fmt: skip
    user = User.objects.create_user("contacts", password="un mot de passe assez long",
                                    is_staff=True)  # fmt: skip
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_contact", "view_optout"])
    )
    client.force_login(user)
    page = client.get(reverse("admin:campaigns_optout_changelist"))
    assert page.status_code == 200
    assert "desinscrit@vaulx.fr" in page.content.decode()


class GreylistingServer(socketserver.ThreadingTCPServer):
    """A mail server on the loopback that answers RCPT with each of `answers` in turn
    (`451 …`: greylisted, `550 …`: unknown), then 250; it keeps the messages it accepts."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answers):
        self.answers, self.received = list(answers), []
        super().__init__(("127.0.0.1", 0), SmtpHandler)


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        self.reply("220 mx.test ESMTP")
        while line := self.rfile.readline().decode("ascii", errors="replace").strip():
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 mx.test")
            elif verb == "RCPT":
                answers = self.server.answers
                self.reply(answers.pop(0) if answers else "250 2.1.5 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                self.server.received.append(b"".join(data))
                self.reply("250 2.0.0 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL, RSET, NOOP
                self.reply("250 ok")


@pytest.fixture
def mail_server(settings):
    def start(*answers):
        server = GreylistingServer(answers)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": server.server_address[1],
                            "use_tls": False, "timeout": 10},
            }
        }  # fmt: skip
        servers.append(server)
        return server

    servers = []
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@time_machine.travel(NOW, tick=False)
def test_a_real_mail_server_greylisting_at_rcpt_gets_the_message_again_later(mail_server):
    server = mail_server(f"451 4.7.1 <{ADDRESS}>: Recipient address rejected: Greylisted")
    message = queue_one()
    assert campaign_mail.deliver(message.pk, now=timezone.now()) == MessageStatus.QUEUED
    message.refresh_from_db()
    assert message.next_attempt_at - NOW == campaign_mail.BACKOFF[0]
    assert message.last_error.startswith("SMTPRecipientsRefused: 451 4.7.1")
    assert "@" not in message.last_error and server.received == []
    with time_machine.travel(message.next_attempt_at, tick=False):
        assert campaign_mail.deliver(message.pk) == MessageStatus.SENT
    assert len(server.received) == 1


def test_a_real_mail_server_refusing_a_recipient_with_a_550_fails_the_message(mail_server):
    server = mail_server(f"550 5.1.1 <{ADDRESS}>: Recipient address rejected: User unknown")
    message = queue_one()
    assert campaign_mail.deliver(message.pk) == MessageStatus.FAILED
    message.refresh_from_db()
    assert "@" not in message.last_error and "User unknown" in message.last_error
    assert server.received == []
