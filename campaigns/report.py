"""The staff view of a campaign: what each step became, and who answered, per stratum."""

from collections import Counter, defaultdict

from django.db.models import Count, Q

from campaigns.models import CAMPAIGN_KINDS, Contact, Message, MessageKind, MessageStatus, OptOut
from survey.collection.models import Response
from survey.enums import ResponseStatus

STATUS_COLUMNS = [
    ("queued", "En attente", Q(status=MessageStatus.QUEUED)),
    ("delivered", "Remis", Q(status=MessageStatus.SENT)),
    ("bounced", "Rejetés", Q(status=MessageStatus.BOUNCED)),
    ("failed", "Échecs", Q(status=MessageStatus.FAILED)),
    ("cancelled", "Annulés (désinscrits, injoignables)", Q(status=MessageStatus.CANCELLED)),
]
STRATUM_COLUMNS = [
    ("invited", "Invitées"),
    ("delivered", "Invitation remise"),
    ("bounced", "Adresse rejetée"),
    ("opted_out", "Désinscrites"),
    ("started", "Réponse commencée"),
    ("sent", "Réponse envoyée"),
]


# What became of the collectivités a step wrote to (after the messages' own statuses).
FOLLOW_UP_COLUMNS = [
    ("opted_out", "Désinscrits"),
    ("started", "Réponse commencée"),
    ("sent", "Réponse envoyée"),
]


def per_step(edition):
    """[(step label, message kind label, {column: count}, total)] for the edition's steps:
    the messages by status, then the recipients who opted out, and the collectivités written
    to whose response has started or been sent since."""
    messages = Message.objects.filter(edition=edition, kind__in=CAMPAIGN_KINDS)
    rows = (
        messages.values("step", "kind")
        .annotate(total=Count("pk"), **{key: Count("pk", filter=q) for key, _, q in STATUS_COLUMNS})
        .order_by("step", "kind")
    )
    follow_up = _follow_up(edition, messages)
    steps = {step.pk: str(step) for step in edition.campaign_steps.all()}
    return [
        {
            "step": steps.get(row["step"], "—"),
            "kind": MessageKind(row["kind"]).label,
            "counts": [row[key] for key, _, _ in STATUS_COLUMNS]
            + [follow_up[row["step"], row["kind"]][key] for key, _ in FOLLOW_UP_COLUMNS],
            "total": row["total"],
        }
        for row in rows
    ]


def _follow_up(edition, messages):
    """{(step, kind): Counter of FOLLOW_UP_COLUMNS} over the step's recipients."""
    opted = set(
        OptOut.objects.filter(Q(edition=edition) | Q(edition__isnull=True)).values_list(
            "email", flat=True
        )
    )
    status_by_collectivite = dict(
        Response.objects.filter(edition=edition, collectivite__isnull=False).values_list(
            "collectivite_id", "status"
        )
    )
    counts = defaultdict(Counter)
    recipients = messages.values_list(
        "step",
        "kind",
        "recipient",
        "contact__collectivite_id",
        "respondent__response__collectivite_id",
    )
    for step, kind, recipient, contacted, answering in recipients.iterator(chunk_size=5000):
        counter = counts[step, kind]
        counter["opted_out"] += recipient in opted
        status = status_by_collectivite.get(contacted or answering)
        counter["started"] += status is not None
        counter["sent"] += status == ResponseStatus.SUBMITTED
    return counts


def _strata(edition, ids):
    """{collectivité id: stratum label}, from the edition's frame when it has one."""
    from results.models import Frame, FrameMember, Stratum
    from survey.collectivites.models import Collectivite

    frame = Frame.objects.filter(edition=edition).first()
    if frame is not None:
        members = FrameMember.objects.filter(frame=frame, collectivite_id__in=ids)
        return dict(members.values_list("collectivite_id", "stratum__label"))
    strata = {}
    for collectivite in Collectivite.objects.filter(pk__in=ids):
        stratum = Stratum.for_collectivite(collectivite)
        strata[collectivite.pk] = stratum.label if stratum else "Hors strate"
    return strata


def per_stratum(edition):
    """[(stratum label, [counts in STRATUM_COLUMNS order])], collectivités invited or not."""
    contacts = Contact.objects.filter(edition=edition)
    invitations = Message.objects.filter(edition=edition, kind=MessageKind.INVITATION)
    opted = OptOut.objects.filter(Q(edition=edition) | Q(edition__isnull=True)).values("email")
    groups = {
        "invited": set(invitations.values_list("contact__collectivite_id", flat=True)),
        "delivered": set(
            invitations.filter(status=MessageStatus.SENT).values_list(
                "contact__collectivite_id", flat=True
            )
        ),
        "bounced": set(
            contacts.exclude(undeliverable_at=None).values_list("collectivite_id", flat=True)
        ),
        "opted_out": set(
            contacts.filter(email__in=opted).values_list("collectivite_id", flat=True)
        ),
    }
    responses = Response.objects.filter(edition=edition, collectivite_id__in=groups["invited"])
    groups["started"] = set(responses.values_list("collectivite_id", flat=True))
    groups["sent"] = set(
        responses.filter(status=ResponseStatus.SUBMITTED).values_list("collectivite_id", flat=True)
    )
    groups = {key: ids - {None} for key, ids in groups.items()}
    strata = _strata(edition, set().union(*groups.values()))
    counts = defaultdict(Counter)
    for key, ids in groups.items():
        for pk in ids:
            counts[strata.get(pk, "Hors base de sondage")][key] += 1
    total = Counter()
    for counter in counts.values():
        total.update(counter)
    rows = [(label, [counts[label][key] for key, _ in STRATUM_COLUMNS]) for label in sorted(counts)]
    return rows, [total[key] for key, _ in STRATUM_COLUMNS]


def failures(edition, limit=200):
    return (
        Message.objects.filter(
            edition=edition,
            kind__in=CAMPAIGN_KINDS,  # a test sent to staff is not the campaign's
            status__in=[MessageStatus.FAILED, MessageStatus.BOUNCED],
        )
        .select_related("step", "contact__collectivite")
        .order_by("-created_at")[:limit]
    )
