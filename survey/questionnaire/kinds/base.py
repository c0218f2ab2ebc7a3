"""What every question kind knows; one subclass per kind, registered in `KINDS`."""

from survey.questionnaire.columns import Column
from survey.questionnaire.models import is_empty  # noqa: F401  (the kinds' shared helper)
from survey.typography import typeset

# How the respondent reads an answer (review, receipt, emails): typeset separators.
COLON, SEMICOLON = typeset(" : "), typeset(" ; ")


# Option keys of the questionnaire file, and the kinds they are meant for (in words).
OPTION_KEYS = {
    "max_choices": "un choix multiple",
    "min": "un nombre",
    "max": "un nombre",
    "max_length": "un texte",
    "max_items": "un groupe répété",
    "item": "un groupe répété",
    "questions": "un groupe répété",
    "consent": "un groupe répété",
}


# How the results estimate a kind (results/estimation.py): a share per option, or a mean and a
# median; a kind estimated as neither (free text) has no figures.
OPTIONS = "options"
NUMBER = "number"


class Kind:
    """A question kind: its value's shape, validation, completeness and words.

    Subclasses set `code` and `label` and write `clean`; the rest has defaults that suit
    a kind answered by one scalar value.
    """

    code = ""
    label = ""
    # Answers are codes of the question's Choice rows / a matrix has rows (MatrixItem).
    has_choices = False
    has_items = False
    # One option per answer (a published table's options then add up to its answers).
    one_option_per_answer = False
    # OPTIONS, NUMBER or None: what the results compute for it.
    estimated_as = None
    # Who counts in the denominator of its figures, after « à qui la question a été posée et ».
    denominator = "qui y ont répondu"

    def clean(self, question, value):
        """Validate and normalise a non-empty value; raise ValidationError in French."""
        raise NotImplementedError

    # Typed in a text box (the field is its own anchor) rather than picked in a group.
    typed = False
    # The template of the question's input, inside its label or fieldset (_question.html).
    template = "survey/kinds/text_input.html"
    # Options side by side (short scales) rather than one per line.
    inline_options = False
    # The virtual keyboard a phone shows for a typed number.
    inputmode = None

    def choice_limit(self, question):
        """How many options may be ticked, when the page should say it."""
        return None

    # -- The page form (survey/collection/forms.py) --------------------------------------

    def form_fields(self, question, name):
        """{field name: form field} collecting the raw input; `name` is the main field's."""
        raise NotImplementedError

    def page_fields(self, question, name, form):
        """The fields a page's `form` needs (its data or initial values are set): by default
        every field of the question."""
        return self.form_fields(question, name)

    def initial(self, question, value, name):
        """{field name: initial value} showing a saved (non-None) answer."""
        return {name: value}

    def raw_value(self, question, data, name):
        """The posted input (a form's cleaned_data), shaped as `clean` expects it."""
        return data.get(name) or ""

    def error_field(self, question, name):
        """The field that carries the question's errors."""
        return name

    def option_labels(self, question):
        """{code: label} of the answers a display condition may name."""
        return {choice.code: choice.label for choice in question.active_choices}

    def sub_blocks(self, form, question, name):
        """What the template needs for the parts of the question (a repeated group's items
        and their sub-questions); None for a question drawn by its own fields only."""
        return None

    def apply_action(self, question, data, name, action, index):
        """Change a page's posted data (a mutable QueryDict) as one of the question's own
        buttons asks (« Ajouter un projet »: action "add", index None); return the sentence
        saying what was done, or None when the button means nothing here. Nothing is saved."""
        return None

    def group_problems(self, question):
        """Problems (French sentences) with the question's `group` field, as staff edit it in
        the admin: only a repeated group has one."""
        return ["Seul un groupe répété a des sous-questions."] if question.group else []

    def stored_options(self, data):
        """{Question field: value} the kind keeps from its entry in the questionnaire file."""
        return {"group": {}}

    def file_options(self, question):
        """The keys the questionnaire file gets back for the question (prepare_next_edition)."""
        return {}

    # -- The loader's checks (survey/questionnaire/loader.py) ----------------------------------

    # The option keys of a question in the TOML file that make sense for this kind.
    options = ()
    # Kinds whose saved answers this kind takes in as they are: a question of one of them may
    # become of this kind although answered, each saved answer cleaned again by this kind.
    takes_answers_of = ()
    allows_exclusive = False
    allows_other = False

    def check_options(self, where, data):
        """Problems (French sentences) with the option keys of a question of this kind."""
        problems = []
        for key, noun in OPTION_KEYS.items():
            if key in data and key not in self.options:
                problems.append(f"{where} : « {key} » ne vaut que pour {noun}.")
        bounds = (data.get("min"), data.get("max"))
        if all(isinstance(bound, int | float) for bound in bounds) and bounds[0] > bounds[1]:
            problems.append(f"{where} : « min » dépasse « max ».")
        return problems

    def check_parts(self, where, data, validate):
        """Problems with the sub-questions of a question (a repeated group's); `validate` is
        the loader's check of one question."""
        return []

    def condition_codes(self, data):
        """The answer codes a display condition on a question of this kind may name; None
        when no condition may depend on this kind. `data` is the question in the file."""
        return None

    def used_codes(self, value):
        """Choice (and row) codes a saved answer uses, so that none is removed under it."""
        return self.answer_codes(value)

    # -- Exports (survey/exports/rows.py; `export` is the question's QuestionExport) --------

    # A free-text kind stays out of the exports unless staff ask for free texts.
    free_text = False
    # Its answers also make a table of their own, one row per item (a repeated group:
    # `item_columns`, `item_rows`), beside the wide table (survey/exports/items.py).
    has_item_table = False
    # The Table Schema type of its single column.
    export_type = "string"

    def export_columns(self, export, description):
        """The wide table's columns of the question (its codebook entries)."""
        question = export.question
        return [
            Column(export.code, question.text, self.export_type, description, question=question)
        ]

    def export_width(self, export):
        return 1

    def export_value(self, export, value):
        """The single exported value of a non-choice answer."""
        return value

    def export_cells(self, export, value):
        return [self.export_value(export, value)]

    def long_missing(self, export, state):
        """The long table's rows of a question asked but not answered, or not asked."""
        return [(None, state, None, None)]

    def long_rows(self, export, state, value, other):
        return [(None, state, self.export_value(export, value), None)]

    def json_fields(self, export, value):
        return {"valeur": value}

    # -- Fake answers (the seed_responses command) ------------------------------------------

    def fake_value(self, question, maker):
        """A plausible raw answer; `maker` (seed_responses.ResponseMaker) has the random
        generator `rng`, `weight(choice)`, `other(choice)` and `text(question)`."""
        return maker.text(question)

    # -- Rules ------------------------------------------------------------------------------

    def missing_parts(self, question, cleaned_value):
        """Labels of the parts a required, answered question still lacks."""
        return []

    def check_complete(self, question, cleaned_value):
        """Raise ValidationError when an answer, required or not, lacks a required part
        (the sub-questions of a repeated group's item)."""

    def answer_codes(self, value):
        """The codes a (non-None) answer stands for, for display conditions."""
        return set()

    def answer_labels(self, value, labels):
        """The labels an answer stands for, given {choice code: label}: the one source of the
        answer in words (review, receipt, emails, admin, JSON). None for a kind without."""
        return None

    def words(self, question, value):
        """The answer as the respondent would say it: labels, not codes."""
        return str(value)

    def item_words(self, question, value):
        """[(item title, [(text, answer in words)])] for a kind of repeated items, which the
        review lists one item under the other; None for the others (one answer, in words)."""
        return None

    def staff_words(self, export, value):
        """The answer in words as staff read it in the admin (a QuestionExport's labels)."""
        return str(value)

    def __repr__(self):
        return f"<Kind {self.code}>"
