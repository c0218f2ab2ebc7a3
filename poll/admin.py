import itertools

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.html import format_html, format_html_join

from poll.crossing import iter_table, page_context, store_crossing
from poll.models import (
    QUOTA_FIELDS,
    Fieldwork,
    Margin,
    MarginDimension,
    Outcome,
    Participation,
    Quota,
    QuotaFull,
    WeightingRun,
    profile_answers,
)
from poll.permissions import STORE_CROSSING, WEIGH
from poll.profile import PROFILE_QUESTIONS
from poll.weighting import weigh
from results.permissions import VIEW_RESULTS
from results.weighting import WeightingError
from survey import numbers
from survey.exports.answers import answers_by_section
from survey.exports.csv import csv_download
from survey.questionnaire.models import Edition


@admin.register(Fieldwork)
class FieldworkAdmin(admin.ModelAdmin):
    list_display = ["edition", "institute", "signed_links"]
    fieldsets = [
        (None, {"fields": ["edition", "institute"]}),
        (
            "Adresses de retour vers l'institut",
            {"fields": ["complete_url", "screenout_url", "quotafull_url"]},
        ),
        (
            "Contrôles de qualité",
            {
                "fields": [
                    "min_seconds",
                    "straightlining_rows",
                    "attention_question",
                    "attention_row",
                    "attention_answer",
                ]
            },
        ),
        ("Liens signés par l'institut", {"fields": ["link_secret"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        # The shared secret signs links: only who may change the fieldwork reads it.
        if self.has_change_permission(request, obj):
            return self.fieldsets
        signed = ("Liens signés par l'institut", {"fields": ["signed_links"]})
        return [*self.fieldsets[:-1], signed]

    def get_readonly_fields(self, request, obj=None):
        return [] if self.has_change_permission(request, obj) else ["signed_links"]

    @admin.display(description="liens signés")
    def signed_links(self, fieldwork):
        return "oui (secret partagé renseigné)" if fieldwork.link_secret else "non"


def poll_editions():
    """The editions whose questionnaire has the profile questions quotas are made of."""
    return Edition.objects.filter(
        questions__code__in=[PROFILE_QUESTIONS[key] for key in QUOTA_FIELDS]
    ).distinct()


class QuotaForm(forms.ModelForm):
    """Age, sex and région are chosen from the questionnaire's own answers (grouped by
    edition); the model's `clean` checks them against the edition chosen."""

    class Meta:
        model = Quota
        fields = ["edition", "dimension", "age", "sex", "region", "target"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        editions = list(poll_editions().select_related("survey").order_by("-year"))
        self.fields["edition"].queryset = poll_editions()
        answers = {edition: profile_answers(edition) for edition in editions}
        for field in QUOTA_FIELDS:
            groups = [
                (str(edition), answers[edition][field][1])
                for edition in editions
                if field in answers[edition]
            ]
            current = getattr(self.instance, field)
            known = {code for _, choices in groups for code, _ in choices}
            if current and current not in known:
                groups.append(
                    ("Valeur actuelle, qui ne correspond à aucune réponse", [(current, current)])
                )
            self.fields[field] = forms.ChoiceField(
                label=Quota._meta.get_field(field).verbose_name.capitalize(),
                choices=[("", "—")] + groups,
                required=False,
            )


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    form = QuotaForm
    list_display = [
        "edition",
        "dimension",
        "age",
        "sex",
        "region",
        "complets",
        "objectif",
        "matches",
    ]
    list_filter = ["edition", "dimension"]
    readonly_fields = ["completes"]
    complets = numbers.admin_column("completes", "complets")
    objectif = numbers.admin_column("target", "objectif")

    @admin.display(description="correspond aux réponses", boolean=True)
    def matches(self, quota):
        return not quota.unmatched(self._answers(quota.edition))

    def _answers(self, edition):
        cache = self.__dict__.setdefault("_answers_cache", {})
        if edition.pk not in cache:
            cache[edition.pk] = profile_answers(edition)
        return cache[edition.pk]

    def changelist_view(self, request, extra_context=None):
        # Rows saved before answers were chosen from the questionnaire: never filled, say so.
        self._answers_cache = {}
        for quota in Quota.objects.select_related("edition__survey"):
            for _, message in quota.unmatched(self._answers(quota.edition)):
                messages.warning(
                    request,
                    f"Le quota « {quota} » de l'édition {quota.edition} ne compte personne : "
                    f"{message} Modifiez-le ou supprimez-le.",
                )
        return super().changelist_view(request, extra_context)


class FlagFilter(admin.SimpleListFilter):
    title = "signalements"
    parameter_name = "signalee"

    def lookups(self, request, model_admin):
        return [("oui", "Signalées"), ("non", "Sans signalement")]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.exclude(flags=[])
        if self.value() == "non":
            return queryset.filter(flags=[])
        return queryset


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = [
        "response",
        "outcome",
        "started_at",
        "ended_at",
        "flag_list",
        "excluded",
        "weight",
    ]
    list_filter = ["edition", "outcome", FlagFilter, "excluded"]
    fields = [
        "edition",
        "response",
        "outcome",
        "started_at",
        "ended_at",
        "flag_list",
        "excluded",
        "excluded_by",
        "excluded_at",
        "weight",
        "answers",
    ]
    readonly_fields = fields
    actions = ["exclude_from_results", "include_in_results", "export_for_institute"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="réponses par section")
    def answers(self, participation):
        # The collectivités' response page shows answers the same way; the poll's responses
        # are read here, next to their outcome, flags and weight.
        return render_to_string(
            "admin/survey/response/answers.html",
            {"sections": answers_by_section(participation.response)},
        )

    def get_urls(self):
        crossing = path(
            "croisement/<int:year>/",
            self.admin_site.admin_view(
                permission_required(VIEW_RESULTS, raise_exception=True)(self.crossing_view)
            ),
            name="poll_crossing",
        )
        return [crossing, *super().get_urls()]

    def crossing_view(self, request, year):
        """Citizens' weighted answers next to the collectivités', as a table and a CSV; a POST
        stores the figures the public page reads."""
        if request.method == "POST":
            if not request.user.has_perm(STORE_CROSSING):
                raise PermissionDenied
            computation = store_crossing(year)
            if computation is None:
                self.message_user(request, f"Le sondage n'a pas d'édition {year}.", messages.ERROR)
            else:
                self.message_user(request, f"{computation} : chiffres enregistrés pour la page "
                                  "publique.")  # fmt: skip
            return redirect(request.get_full_path())
        if request.GET.get("format") == "csv":
            return csv_download(f"citoyens-collectivites-{year}.csv", iter_table(year))
        context = {
            **self.admin_site.each_context(request),
            **page_context(year, request.GET.get("domaine"), public=False),
            "title": f"Citoyens et collectivités, {year}",
            "can_store": request.user.has_perm(STORE_CROSSING),
        }
        return render(request, "admin/poll/crossing.html", context)

    @admin.display(description="signalements")
    def flag_list(self, participation):
        return ", ".join(participation.flags) or "—"

    @admin.action(
        description="Exclure des résultats (les réponses restent conservées)",
        permissions=["change"],
    )
    def exclude_from_results(self, request, queryset):
        completes = queryset.filter(outcome=Outcome.COMPLETE, excluded=False)
        count = sum(participation.exclude(request.user) for participation in completes)
        skipped = queryset.count() - count
        self.message_user(request, f"{count} réponse(s) exclue(s) des résultats.")
        if skipped:
            self.message_user(
                request,
                f"{skipped} participation(s) laissée(s) telles quelles : déjà exclues ou "
                "non complètes.",
                messages.WARNING,
            )

    @admin.action(description="Réintégrer dans les résultats", permissions=["change"])
    def include_in_results(self, request, queryset):
        count = full = 0
        for participation in queryset.filter(excluded=True):
            try:
                count += participation.include()
            except QuotaFull:
                full += 1
        self.message_user(request, f"{count} réponse(s) réintégrée(s) dans les résultats.")
        if full:
            self.message_user(
                request,
                f"{full} réponse(s) laissée(s) exclue(s) : leur quota est atteint depuis "
                "leur exclusion.",
                messages.WARNING,
            )

    @admin.action(description="Exporter pour l'institut (identifiant du panel et issue)")
    def export_for_institute(self, request, queryset):
        # The institute's accounting of its completes: the panel id and the outcome, no answer.
        outcomes = queryset.values_list("panel_id", "outcome", "excluded").order_by("started_at")
        rows = ([pid, outcome, "oui" if excluded else "non"] for pid, outcome, excluded in outcomes)
        return csv_download(
            "sondage-issues.csv", itertools.chain([["pid", "issue", "exclue"]], rows)
        )


@admin.register(Margin)
class MarginAdmin(admin.ModelAdmin):
    """Margins come from a file (load_poll_margins), each with its source: read here."""

    list_display = ["edition", "dimension", "category", "effectif", "source", "year", "is_test"]
    effectif = numbers.admin_column("population", "effectif")
    list_filter = ["edition", "dimension", "source", "is_test"]
    actions = ["weigh_editions"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_weigh_permission(self, request):
        return request.user.has_perm(WEIGH)

    @admin.action(
        description="Calculer les poids du sondage avec les marges de cette édition",
        permissions=["weigh"],
    )
    def weigh_editions(self, request, queryset):
        editions = {margin.edition_id: margin.edition for margin in queryset}
        for edition in editions.values():
            try:
                run = weigh(edition, user=request.user)
            except WeightingError as error:
                self.message_user(request, f"{edition} : {error}", messages.ERROR)
                continue
            if run.is_refused:
                self.message_user(request, f"{edition} : {' '.join(run.summary())}", messages.ERROR)
                continue
            store_crossing(edition.year)
            self.message_user(request, f"{edition} : {' '.join(run.summary())}")


@admin.register(WeightingRun)
class WeightingRunAdmin(admin.ModelAdmin):
    """Each computation of the poll's weights, read-only: its figures and the margins it used."""

    list_display = [
        "created_at",
        "edition",
        "status",
        "test_margins",
        "created_by",
        "weighted_count",
        "kish",
        "effective",
        "factor_range",
        "largest_gap",
        "passes",
    ]
    list_filter = ["edition", "status", "test_margins"]
    fields = [
        "edition",
        "created_at",
        "created_by",
        "status",
        "refusal_list",
        "test_margins",
        "weighted_count",
        "kish",
        "effective",
        "factor_range",
        "passes",
        "gap_list",
        "merged_list",
        "margin_table",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="efficacité de Kish")
    def kish(self, run):
        return numbers.decimal_number(run.kish_efficiency, 2)

    @admin.display(description="taille effective")
    def effective(self, run):
        return numbers.decimal_number(run.effective_n, 1)

    @admin.display(description="facteurs d'ajustement")
    def factor_range(self, run):
        low, high = (numbers.decimal_number(f, 2) for f in (run.factor_min, run.factor_max))
        return f"de {low} à {high}"

    @admin.display(description="plus grand écart")
    def largest_gap(self, run):
        return numbers.percent(max(run.gaps.values(), default=0.0))

    @admin.display(description="motifs du refus")
    def refusal_list(self, run):
        return format_html_join("", "<p>{}</p>", ((reason,) for reason in run.refusals)) or "—"

    @admin.display(description="catégories regroupées")
    def merged_list(self, run):
        labels = dict(MarginDimension.choices)
        return (
            " ; ".join(
                f"{labels.get(entry['critere'], entry['critere'])} : "
                f"{' + '.join(entry['categories'])} ({entry['origine']})"
                for entry in run.merged
            )
            or "—"
        )

    @admin.display(description="plus grand écart restant à une marge")
    def gap_list(self, run):
        return run.summary()[1].removeprefix("Plus grand écart restant à une marge : ")

    @admin.display(description="marges utilisées")
    def margin_table(self, run):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td></tr>",
            (
                (
                    MarginDimension(entry["critere"]).label,
                    entry["categorie"],
                    numbers.integer(entry["effectif"]),
                    numbers.decimal_number(entry["cible"], 1),
                    # Runs recorded before the gaps were kept per category have neither.
                    numbers.decimal_number(entry["pondere"], 1) if "pondere" in entry else "—",
                    numbers.percent(entry["ecart"]) if "ecart" in entry else "—",
                    entry["source"] + (" (test)" if entry.get("test") else ""),
                    entry["annee"],
                )
                for entry in run.margins
            ),
        )
        return format_html(
            '<table><thead><tr><th scope="col">critère</th><th scope="col">catégorie</th>'
            '<th scope="col">effectif</th><th scope="col">cible</th>'
            '<th scope="col">total pondéré</th><th scope="col">écart</th>'
            '<th scope="col">source</th><th scope="col">année</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            rows,
        )
