"""A repeated group: sub-questions answered once per item (« Projet 1 », « Projet 2 »…).

The value is a list of items, each {sub-question code: that kind's value}; empty items are
dropped and no item at all is no answer. The sub-questions live in the group's `group` field,
as the questionnaire file describes them; they are Question objects built in memory (never
saved), so that each is read, checked and drawn by its own kind and stays out of everything
that lists an edition's questions.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField

from survey.questionnaire.columns import ANSWERED_STATE, NOT_ANSWERED_STATE, Column
from survey.questionnaire.kinds.base import COLON, SEMICOLON, Kind
from survey.typography import colon_after, typeset

DEFAULT_MAX_ITEMS = 10
# The page form's fields of item `index` of group `name`: "{name}-{index}-{sub code}".
TEMPLATE_INDEX = "__i__"


def removed_field(name):
    return f"{name}-removed"


def order_field(name):
    """Every item of the page, removed ones included, in the order shown: « Annuler le
    retrait » puts an item back in its place (the script reads the same order from the page)."""
    return f"{name}-order"


def parse_indexes(text, limit):
    """The item indexes a page posted ("1 2 4"), in order, each once, within 1..limit."""
    indexes = []
    for part in str(text or "").split():
        if part.isdigit() and 1 <= int(part) <= limit and int(part) not in indexes:
            indexes.append(int(part))
    return indexes


def page_order(text, shown, removed, limit):
    """The order of every item on the page: as posted, for the items still there, then any
    the page did not list (a page posted before this field, or by the script)."""
    present = set(shown) | set(removed)
    order = [index for index in parse_indexes(text, limit) if index in present]
    return order + [index for index in [*shown, *removed] if index not in order]


class Group(Kind):
    code = "group"
    label = "Groupe répété"
    template = "survey/kinds/group.html"
    options = ("max_items", "item", "questions", "consent")
    # Exported: its count in the wide table, its items in their own table; its free-text
    # sub-questions follow the free-text rule of the exports.
    has_item_table = True

    # -- The group's parts ------------------------------------------------------------------

    def sub_questions(self, question):
        """The sub-questions, built once per question object from its `group` field."""
        cached = question.__dict__.get("_sub_questions")
        if cached is None:
            cached = [self._sub_question(question, data) for data in self._spec(question)]
            question.__dict__["_sub_questions"] = cached
        return cached

    @staticmethod
    def _spec(question):
        return (question.group or {}).get("questions") or []

    @staticmethod
    def _sub_question(group, data):
        from survey.questionnaire.models import Choice, MatrixItem, Question

        def number(key):
            return None if data.get(key) is None else Decimal(str(data[key]))

        sub = Question(
            edition_id=group.edition_id,
            code=data["code"],
            kind=data["kind"],
            text=data["text"],
            help_text=data.get("help", ""),
            required=data.get("required", False),
            max_choices=data.get("max_choices"),
            min_value=number("min"),
            max_value=number("max"),
            max_length=data.get("max_length"),
        )
        sub.__dict__["active_choices"] = [
            Choice(code=c["code"], label=c["label"], position=position,
                   is_exclusive=c.get("exclusive", False),
                   is_dont_know=c.get("dont_know", False))
            for position, c in enumerate(data.get("choices") or [], start=1)
        ]  # fmt: skip
        sub.__dict__["active_items"] = [
            MatrixItem(code=i["code"], label=i["label"], position=position)
            for position, i in enumerate(data.get("items") or [], start=1)
        ]
        return sub

    def max_items(self, question):
        return (question.group or {}).get("max_items") or DEFAULT_MAX_ITEMS

    def item_label(self, question):
        """The noun of one item, capitalised: « Projet »."""
        return (question.group or {}).get("item") or "Élément"

    def consent_code(self, question):
        """The yes/no sub-question by which a respondent agrees to publish an item, or None."""
        return (question.group or {}).get("consent")

    def exported_items(self, export, value):
        """(number, item) of the items an export carries: in open data, only those whose
        respondent agreed to publication when the group asks (`consent`), since an item's
        row is linked to the collectivité's response."""
        consent = self.consent_code(export.question)
        for number, item in enumerate(value, start=1):
            if export.options.open_data and consent and item.get(consent) is not True:
                continue
            yield number, item

    # -- Values -------------------------------------------------------------------------------

    def clean(self, question, value):
        if not isinstance(value, list):
            raise ValidationError("Décrivez les éléments un par un.", code="invalid")
        label, limit = self.item_label(question), self.max_items(question)
        if len(value) > limit:
            raise ValidationError(
                "%(limit)s %(label)ss au plus.",
                code="max_items",
                params={"limit": limit, "label": label.lower()},
            )
        subs = self.sub_questions(question)
        codes = {sub.code for sub in subs}
        cleaned, errors = [], []
        for number, item in enumerate(value, start=1):
            if not isinstance(item, dict) or set(item) - codes:
                errors.append(typeset(f"{label} {number} : cette réponse est illisible."))
                continue
            answers = {}
            for sub in subs:
                try:
                    answer = sub.clean_answer(item.get(sub.code))
                except ValidationError as error:
                    errors += [self._about(label, number, sub, text) for text in error.messages]
                    continue
                if answer is not None:
                    answers[sub.code] = answer
            if answers:
                cleaned.append(answers)
        if errors:
            raise ValidationError(errors)
        return cleaned or None

    @staticmethod
    def _about(label, number, sub, text):
        return typeset(f"{label} {number} : « {sub.text} » — {text}")

    def check_complete(self, question, cleaned_value):
        label = self.item_label(question)
        errors = []
        for number, item in enumerate(cleaned_value, start=1):
            for sub in self.sub_questions(question):
                try:
                    sub.check_required(item.get(sub.code))
                except ValidationError as error:
                    errors += [self._about(label, number, sub, text) for text in error.messages]
        if errors:
            raise ValidationError(errors)

    def used_codes(self, value):
        return set()  # the sub-questions' choices are not Choice rows

    def fake_value(self, question, maker):
        count = maker.rng.randint(0, min(3, self.max_items(question)))
        items = []
        for _ in range(count):
            item = {}
            for sub in self.sub_questions(question):
                if sub.required or maker.rng.random() < 0.8:
                    item[sub.code] = sub.kind_class.fake_value(sub, maker)
            items.append(item)
        return items

    # -- Words ------------------------------------------------------------------------------

    def item_words(self, question, value):
        """[(« Projet 1 », [(sub-question text, answer in words)])]: review and receipt."""
        label = self.item_label(question)
        return [
            (
                f"{label} {number}",
                [
                    (typeset(sub.text), sub.kind_class.words(sub, item[sub.code]))
                    for sub in self.sub_questions(question)
                    if item.get(sub.code) is not None
                ],
            )
            for number, item in enumerate(value, start=1)
        ]

    def words(self, question, value):
        return " ".join(
            f"{title}{COLON}{SEMICOLON.join(colon_after(text) + answer for text, answer in parts)}."
            for title, parts in self.item_words(question, value)
        )

    def staff_words(self, export, value):
        return self.words(export.question, value)

    # -- Exports: a count in the wide table, the items in a table of their own -------------

    export_type = "integer"

    def sub_exports(self, export):
        """An export of each sub-question, of the same class as `export` (its columns named
        « group__sub »)."""
        cached = export.__dict__.get("_sub_exports")
        if cached is None:
            cached = []
            for sub in self.sub_questions(export.question):
                sub_export = type(export)(sub, export.options)
                sub_export.code = f"{export.code}__{sub.code}"
                sub_export.sub_code = sub.code
                cached.append(sub_export)
            export.__dict__["_sub_exports"] = cached
        return cached

    def export_columns(self, export, description):
        question = export.question
        noun = self.item_label(question).lower()
        return [
            Column(
                f"{export.code}__nombre",
                f"{question.text} — nombre de {noun}s décrits",
                "integer",
                f"{description} Chaque {noun} est une ligne de la table « {question.text} » "
                "(identifiant de la réponse, numéro, réponses).",
                question=question,
            )
        ]

    def export_cells(self, export, value):
        return [len(value)]

    def item_columns(self, export):
        """The columns of the items table after the response id and the item number."""
        columns = []
        for sub_export in self.sub_exports(export):
            if sub_export.exported:
                for column in sub_export.columns():
                    column.question = export.question
                    columns.append(column)
        return columns

    def item_rows(self, export, value):
        """(number, cells) of each item, in the order of `item_columns`."""
        for number, item in self.exported_items(export, value):
            cells = []
            for sub_export in self.sub_exports(export):
                if sub_export.exported:
                    answer = item.get(sub_export.sub_code)
                    state = NOT_ANSWERED_STATE if answer is None else ANSWERED_STATE
                    cells += sub_export.wide_cells(state, answer)
            yield number, cells

    def long_missing(self, export, state):
        return [(None, state, None, None)]

    def long_rows(self, export, state, value, other):
        """One row per item, sub-question (and choice or line): « 2.domaine »."""
        rows = []
        for number, item in self.exported_items(export, value):
            for sub_export in self.sub_exports(export):
                if not sub_export.exported:
                    continue
                answer = item.get(sub_export.sub_code)
                sub_state = NOT_ANSWERED_STATE if answer is None else ANSWERED_STATE
                for line, line_state, cell, sub_other in sub_export.long_rows(sub_state, answer):
                    where = f"{number}.{sub_export.sub_code}" + (f".{line}" if line else "")
                    rows.append((where, line_state, cell, sub_other))
        return rows

    def json_fields(self, export, value):
        items = []
        for number, item in self.exported_items(export, value):
            entry = {"numero": number}
            for sub_export in self.sub_exports(export):
                if sub_export.exported:
                    answer = item.get(sub_export.sub_code)
                    state = NOT_ANSWERED_STATE if answer is None else ANSWERED_STATE
                    entry[sub_export.sub_code] = sub_export.json_entry(state, answer)
            items.append(entry)
        return {"nombre": len(value), "elements": items}

    # -- The page form ----------------------------------------------------------------------

    def part_name(self, name, index, sub):
        return f"{name}-{index}-{sub.code}"

    def form_fields(self, question, name, indexes=None):
        # The main field lists the items on the page by index ("1 2 4"); every possible
        # item has its fields (or those of `indexes`), so that any index posted can be read.
        fields = {name: forms.CharField(widget=forms.HiddenInput)}
        fields[removed_field(name)] = forms.CharField(widget=forms.HiddenInput)
        fields[order_field(name)] = forms.CharField(widget=forms.HiddenInput)
        if indexes is None:
            indexes = range(1, self.max_items(question) + 1)
        for index in indexes:
            for sub in self.sub_questions(question):
                fields.update(sub.kind_class.form_fields(sub, self.part_name(name, index, sub)))
        return fields

    def page_fields(self, question, name, form):
        """The fields of the items this page holds (posted, removed or saved), not of all
        `max_items`: the page's template item is drawn from fields made for it."""
        limit = self.max_items(question)
        source = form.data if form.is_bound else form.initial
        keys = (name, removed_field(name), order_field(name))
        indexes = sorted({i for key in keys for i in parse_indexes(source.get(key), limit)})
        return self.form_fields(question, name, indexes)

    def initial(self, question, value, name):
        initial = {name: " ".join(str(index) for index in range(1, len(value) + 1))}
        for index, item in enumerate(value, start=1):
            for sub in self.sub_questions(question):
                if item.get(sub.code) is not None:
                    part = self.part_name(name, index, sub)
                    initial.update(sub.kind_class.initial(sub, item[sub.code], part))
        return initial

    def raw_value(self, question, data, name):
        return [
            {
                sub.code: sub.kind_class.raw_value(sub, data, self.part_name(name, index, sub))
                for sub in self.sub_questions(question)
            }
            for index in parse_indexes(data.get(name), self.max_items(question))
        ]

    def sub_blocks(self, form, question, name):
        """The items on the page, the removed ones (restorable) and an empty item's model."""
        limit = self.max_items(question)
        shown = parse_indexes(form[name].value(), limit)
        removed = [
            index
            for index in parse_indexes(form[removed_field(name)].value(), limit)
            if index not in shown
        ]
        label = self.item_label(question)
        used = set(shown) | set(removed)
        order = page_order(form[order_field(name)].value(), shown, removed, limit)
        numbers = {index: number for number, index in enumerate(shown, start=1)}
        return {
            "label": label,
            "noun": label.lower(),
            "max_items": limit,
            "can_add": len(shown) < limit,
            # Removed items stay in their place, as the script leaves them.
            "entries": [
                {
                    "index": index,
                    "number": numbers.get(index, "(retiré)"),
                    "removed": index not in numbers,
                    "parts": self._parts(form, question, name, index),
                }
                for index in order
            ],
            "template_parts": self._parts(form, question, name, TEMPLATE_INDEX),
            "next_index": min(set(range(1, limit + 1)) - used, default=0),
            "removed_name": removed_field(name),
            "removed_value": " ".join(str(index) for index in removed),
            "order_name": order_field(name),
            "order_value": " ".join(str(index) for index in order),
        }

    def _parts(self, form, question, name, index):
        parts = []
        for sub in self.sub_questions(question):
            part = self.part_name(name, index, sub)
            fields = sub.kind_class.form_fields(sub, part)
            bound = {
                field_name: form[field_name]
                if field_name in form.fields
                else BoundField(form, field, field_name)
                for field_name, field in fields.items()
            }
            parts.append(
                {
                    "question": sub,
                    "name": part,
                    "field": bound.get(part),
                    "other": None,
                    "other_code": "",
                    "exclusive_codes": [c.code for c in sub.active_choices if c.is_exclusive],
                    "items": [(item, bound[f"{part}-{item.code}"]) for item in sub.active_items],
                    "errors": [],
                    "grouped": not sub.kind_class.typed,
                    "template": sub.kind_class.template,
                    "inline": sub.kind_class.inline_options,
                    "inputmode": sub.kind_class.inputmode,
                    "max_choices": sub.kind_class.choice_limit(sub),
                    "condition": None,
                    "suggested": False,
                }
            )
        return parts

    def apply_action(self, question, data, name, action, index):
        kind = self
        limit = kind.max_items(question)
        shown = parse_indexes(data.get(name), limit)
        removed = parse_indexes(data.get(removed_field(name)), limit)
        order = page_order(data.get(order_field(name)), shown, removed, limit)
        label = kind.item_label(question)
        if action == "add":
            if len(shown) >= limit:
                return typeset(f"{limit} {label.lower()}s au plus : impossible d'en ajouter.")
            unused = set(range(1, limit + 1)) - set(shown) - set(removed)
            # Every slot taken: the oldest removed item gives way (its removal is final).
            free = min(unused) if unused else removed[0]
            if free in removed:
                removed.remove(free)
                order.remove(free)
                for key in [key for key in data if key.startswith(f"{name}-{free}-")]:
                    del data[key]
            shown.append(free)
            order.append(free)
            message = f"{label} {len(shown)} ajouté : il sera enregistré avec la page."
        elif action == "remove" and index in shown:
            number = shown.index(index) + 1
            shown.remove(index)
            removed.append(index)
            message = (
                f"{label} {number} retiré : il le sera à l'enregistrement de la page ; "
                "vous pouvez encore annuler ce retrait."
            )
        elif action == "restore" and index in removed and len(shown) < limit:
            removed.remove(index)
            shown = [i for i in order if i in shown or i == index]  # back in its place
            message = f"{label} {shown.index(index) + 1} rétabli."
        else:
            return None
        data[name] = " ".join(str(i) for i in shown)
        data[removed_field(name)] = " ".join(str(i) for i in removed)
        data[order_field(name)] = " ".join(str(i) for i in order)
        return typeset(message)

    # -- The loader -------------------------------------------------------------------------

    def check_options(self, where, data):
        problems = super().check_options(where, data)
        max_items = data.get("max_items", DEFAULT_MAX_ITEMS)
        if (
            not isinstance(max_items, int)
            or isinstance(max_items, bool)
            or not 1 <= max_items <= 50
        ):
            problems.append(f"{where} : « max_items » doit être un nombre entier de 1 à 50.")
        item = data.get("item")
        if item is not None and (not isinstance(item, str) or not item.strip()):
            problems.append(f"{where} : « item » doit nommer un élément (« Projet »).")
        if "consent" in data:
            kinds = {
                sub.get("code"): sub.get("kind")
                for sub in data.get("questions") or []
                if isinstance(sub, dict)
            }
            if not isinstance(data["consent"], str) or kinds.get(data["consent"]) != "yes_no":
                problems.append(
                    f"{where} : « consent » nomme la sous-question oui / non du groupe par "
                    "laquelle le répondant accepte la publication d'un élément."
                )
        return problems

    def check_parts(self, where, data, validate):
        """Problems with the sub-questions; `validate(sub, seen_codes)` is the loader's check
        of one question."""
        subs = data.get("questions")
        if not isinstance(subs, list) or not subs:
            return [f"{where} : un groupe répété a des sous-questions (« questions »)."]
        problems, seen = [], {}
        for sub in subs:
            if not isinstance(sub, dict):
                problems.append(f"{where} : chaque sous-question est une table.")
                continue
            inner = f"{where}, sous-question « {sub.get('code')} »"
            if sub.get("kind") == self.code:
                problems.append(f"{inner} : un groupe ne peut pas contenir un autre groupe.")
                continue
            for key in ("show_if", "continues", "crosses", "open_data"):
                if key in sub:
                    problems.append(f"{inner} : « {key} » ne vaut pas pour une sous-question.")
            if any(isinstance(c, dict) and c.get("other") for c in sub.get("choices") or []):
                problems.append(f"{inner} : pas de choix « Autre » à préciser dans un groupe.")
            problems += [f"{where}, {problem}" for problem in validate(sub, seen)]
        return problems

    def group_problems(self, question):
        from survey.questionnaire.loader import validate_question

        spec = question.group
        if not isinstance(spec, dict):
            return ["Décrivez le groupe par un objet : « item », « max_items », « questions »."]
        where = "le groupe"
        problems = [f"{where} : clé inconnue « {key} »." for key in set(spec) - set(self.options)]
        problems += self.check_options(where, spec)
        problems += self.check_parts(
            where, spec, lambda sub, seen: validate_question(sub, {}, seen)
        )
        return problems

    def stored_options(self, data):
        keys = ("code", "kind", "text", "help", "required", "choices", "items",
                "max_choices", "min", "max", "max_length")  # fmt: skip
        group = {
            "item": data.get("item", "Élément"),
            "max_items": data.get("max_items", DEFAULT_MAX_ITEMS),
            "questions": [
                {key: sub[key] for key in keys if key in sub} for sub in data["questions"]
            ],
        }
        if data.get("consent"):
            group["consent"] = data["consent"]
        return {"group": group}

    def file_options(self, question):
        options = {
            "item": self.item_label(question),
            "max_items": self.max_items(question),
            "questions": self._spec(question),
        }
        if self.consent_code(question):
            options["consent"] = self.consent_code(question)
        return options
