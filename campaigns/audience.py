"""Who a campaign step reaches, with which text: the preview and the sending read the same.

- the invitation: contacts whose collectivité has no response yet, not invited already;
- a reminder: invited contacts whose collectivité has not started (« invité, pas commencé »),
  and people who left their address on a draft (« brouillon non envoyé »);
- the notice 48 hours before the close: every draft holder who left an address.
Never anyone whose collectivité sent its answers, who opted out, whose address bounced, or
who already had this step for that collectivité (a database constraint besides). An address
that is a contact, or holds drafts, for several collectivités gets one message for each: each
names its collectivité and carries its link; the preview counts those addresses.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone

from campaigns.models import (
    Contact,
    Message,
    MessageKind,
    MessageStatus,
    OptOut,
    Step,
    StepKind,
)
from survey.collection.models import Respondent, Response
from survey.enums import ResponseStatus

BATCH_SIZE = 200  # messages per background task


@dataclass
class Recipient:
    email: str
    kind: str
    collectivite: object
    contact: Contact | None = None
    respondent: Respondent | None = None

    @property
    def kind_label(self):
        return MessageKind(self.kind).label


def under_covered_collectivites(edition):
    """Ids of the collectivités of the strata under the coverage target (a subquery), or None
    when the edition has no frame yet (then nobody is left out)."""
    from results.coverage import coverage_rows
    from results.models import Frame, FrameMember

    frame = Frame.objects.filter(edition=edition).first()
    if frame is None:
        return None
    rows = coverage_rows(frame, "strate", settings.COVERAGE_TARGET_RATE)
    codes = [row.code for row in rows if row.under_target and not row.is_total]
    members = FrameMember.objects.filter(frame=frame, stratum__code__in=codes)
    return members.values("collectivite_id")


def recipients(step):
    """Every Recipient of `step` who has not had it yet, contacts first."""
    edition = step.edition
    opted_out = OptOut.objects.filter(Q(edition=edition) | Q(edition__isnull=True)).values("email")
    had_it = Message.objects.filter(step=step)
    target = under_covered_collectivites(edition) if step.under_covered_only else None
    found, addresses = [], set()
    if step.kind in (StepKind.INVITATION, StepKind.REMINDER):
        answered = Response.objects.filter(edition=edition, collectivite__isnull=False)
        contacts = (
            Contact.objects.filter(edition=edition, undeliverable_at__isnull=True)
            .exclude(collectivite__in=answered.values("collectivite_id"))
            .exclude(email__in=opted_out)
            .exclude(pk__in=had_it.exclude(contact=None).values("contact_id"))
            .select_related("collectivite")
            .order_by("pk")
        )
        invitations = Message.objects.filter(edition=edition, kind=MessageKind.INVITATION)
        if step.kind == StepKind.REMINDER:
            invited = invitations.filter(status=MessageStatus.SENT)
            contacts = contacts.filter(pk__in=invited.values("contact_id"))
        else:  # a second invitation step reaches only the contacts imported since the first
            contacts = contacts.exclude(
                pk__in=invitations.exclude(contact=None).values("contact_id")
            )
        if target is not None:
            contacts = contacts.filter(collectivite_id__in=target)
        kind = (
            MessageKind.INVITATION
            if step.kind == StepKind.INVITATION
            else MessageKind.REMINDER_NOT_STARTED
        )
        for contact in contacts:
            addresses.add((contact.email, contact.collectivite_id))
            found.append(Recipient(contact.email, kind, contact.collectivite, contact=contact))
    if step.kind in (StepKind.REMINDER, StepKind.CLOSING_NOTICE):
        respondents = (
            Respondent.objects.filter(
                response__edition=edition, response__status=ResponseStatus.DRAFT
            )
            .exclude(email="")
            .annotate(address=Lower("email"))
            .exclude(address__in=opted_out)
            .exclude(
                Exists(
                    had_it.filter(
                        recipient=OuterRef("address"), respondent__response=OuterRef("response")
                    )
                )
            )
            .exclude(address__in=Contact.objects.exclude(undeliverable_at=None).values("email"))
            .select_related("response__collectivite")
            .order_by("pk")
        )
        if target is not None:
            respondents = respondents.filter(response__collectivite_id__in=target)
        kind = (
            MessageKind.CLOSING_NOTICE
            if step.kind == StepKind.CLOSING_NOTICE
            else MessageKind.REMINDER_DRAFT
        )
        for respondent in respondents:
            response = respondent.response
            key = (respondent.address, response.collectivite_id or f"réponse {response.pk}")
            if key not in addresses:
                addresses.add(key)
                found.append(
                    Recipient(
                        respondent.address,
                        kind,
                        respondent.response.collectivite,
                        respondent=respondent,
                    )
                )
    return found


def shared_addresses(found):
    """How many addresses get more than one message of the step (one per collectivité)."""
    counts = {}
    for recipient in found:
        counts[recipient.email] = counts.get(recipient.email, 0) + 1
    return sum(count > 1 for count in counts.values())


def queue_step(step, now=None):
    """Write one Message per recipient (the constraints refuse a second one), then send them
    in background batches after the commit. Returns the number of messages queued."""
    from outbox.tasks import send_batch

    now = now or timezone.now()
    with transaction.atomic():
        step = Step.objects.select_for_update().select_related("edition").get(pk=step.pk)
        messages = [
            Message(
                kind=recipient.kind,
                edition=step.edition,
                step=step,
                contact=recipient.contact,
                respondent=recipient.respondent,
                recipient=recipient.email,
                created_at=now,
                next_attempt_at=now,
            )
            for recipient in recipients(step)
        ]
        Message.objects.bulk_create(messages, batch_size=2000, ignore_conflicts=True)
        if step.started_at is None:
            step.started_at = now
            step.save(update_fields=["started_at"])
        pks = list(
            Message.objects.filter(step=step, status=MessageStatus.QUEUED, attempts=0)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

        def enqueue():
            for start in range(0, len(pks), BATCH_SIZE):
                send_batch.enqueue(pks[start : start + BATCH_SIZE])

        transaction.on_commit(enqueue)
    return len(messages)


def due_steps(now=None):
    """Scheduled steps whose time has come, not yet sent, of editions still open."""
    now = now or timezone.now()
    steps = Step.objects.filter(started_at=None, edition__closes_at__gt=now).select_related(
        "edition"
    )
    return [step for step in steps if step.due_at is not None and step.due_at <= now]
