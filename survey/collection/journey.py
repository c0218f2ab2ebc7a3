"""The respondent's journey as a list of steps, after pretix's checkout flow.

Each step knows whether it applies to a response and whether it is complete. Navigation,
« Étape N sur M », where a returning respondent lands, the review's missing answers and the
stored progress all come from one `Journey`. An audience is a list of step classes: the
collectivités' survey starts by choosing the collectivité; another audience (a citizens'
poll) passes a list without that step.
"""

from functools import cached_property

from django.core.exceptions import ValidationError
from django.urls import reverse


class Step:
    """One stage of the journey."""

    label = ""
    has_page = True  # False: shown on the page of the next step that has one
    numbered = False  # counted in « Étape N sur M »

    def __init__(self, journey):
        self.journey = journey

    @classmethod
    def build(cls, journey):
        """The steps this class contributes to a journey."""
        return [cls(journey)]

    def is_applicable(self, response):
        return True

    def is_completed(self, response, values):
        raise NotImplementedError

    def missing(self, response, values):
        """What the review flags as missing for this step (questions, or the step itself)."""
        return []

    def asked(self, values):
        """The questions this step asks, given the answers so far: they make the progress."""
        return []

    def url(self):
        return self.journey.page_of(self).url()


class CollectiviteStep(Step):
    """Who answers: a collectivité of the official list, or another structure."""

    label = text = "Votre collectivité ou structure"  # `text`: listed like a question
    has_page = False  # chosen on the first section's page, above its questions

    def is_completed(self, response, values):
        return response.has_structure

    def missing(self, response, values):
        return [] if response.has_structure else [self]

    def answer(self, response):
        """The choice in words, for the review and the receipt."""
        return response.structure_label


class SectionStep(Step):
    """One page of questions."""

    numbered = True

    def __init__(self, journey, section):
        super().__init__(journey)
        self.section = section
        self.label = section.title

    @classmethod
    def build(cls, journey):
        return [cls(journey, section) for section in journey.sections]

    def asked(self, values):
        return [question for question in self.section.asked if question.is_shown(values)]

    def missing(self, response, values):
        """Questions of the page that are asked and required but have no answer."""
        missing = []
        for question in self.asked(values):
            try:
                question.check_required(values.get(question.code))
            except ValidationError:
                missing.append(question)
        return missing

    def is_completed(self, response, values):
        """Validated once with « Enregistrer et continuer », and nothing required missing."""
        return self.section.slug in response.completed_sections and not self.missing(
            response, values
        )

    def url(self):
        return reverse("section", args=[self.section.slug])


class ReviewStep(Step):
    """The answers read back, then sent."""

    label = "Vérification et envoi"

    def is_completed(self, response, values):
        # Never done: a respondent whose pages are all complete lands here, sent or not,
        # and may change their answers and send again until the deadline.
        return False

    def url(self):
        return reverse("review")


class SentStep(Step):
    """The confirmation."""

    label = "Réponses envoyées"

    def is_completed(self, response, values):
        return response.is_submitted

    def url(self):
        return reverse("sent")


class Journey:
    """The applicable steps of one response, in order."""

    COLLECTIVITES = (CollectiviteStep, SectionStep, ReviewStep, SentStep)

    def __init__(self, response, step_classes, sections=None, values=None):
        self.response = response
        self.sections = response.edition.questionnaire() if sections is None else sections
        if values is not None:
            self.values = values
        self.steps = [
            step
            for step_class in step_classes
            for step in step_class.build(self)
            if step.is_applicable(response)
        ]

    @classmethod
    def for_collectivites(cls, response, sections=None, values=None):
        """The survey of local authorities: choose the collectivité, then every page."""
        return cls(response, cls.COLLECTIVITES, sections=sections, values=values)

    @cached_property
    def values(self):
        """Every saved answer, read when first needed: navigation does not need them."""
        return self.response.values_by_code()

    # -- Pages and navigation

    @cached_property
    def pages(self):
        return [step for step in self.steps if step.has_page]

    def page_of(self, step):
        """The step whose page shows `step`: its own, or the next one with a page.

        This is the one place that says the collectivité is chosen on the first page.
        """
        index = self.steps.index(step)
        return next((later for later in self.steps[index:] if later.has_page), None)

    def page_showing(self, step_class):
        """The page on which the step of `step_class` is shown; None without such a step."""
        step = next((s for s in self.steps if isinstance(s, step_class)), None)
        return self.page_of(step) if step is not None else None

    def shown_on(self, page):
        """The steps without a page of their own that `page` shows, above its questions."""
        return [s for s in self.steps if not s.has_page and self.page_of(s) is page]

    def step_for(self, section):
        return next(
            s for s in self.steps if isinstance(s, SectionStep) and s.section.pk == section.pk
        )

    @cached_property
    def section_steps(self):
        return [step for step in self.steps if isinstance(step, SectionStep)]

    def previous(self, step):
        """The page before `step`'s page, or None on the first."""
        index = self.pages.index(self.page_of(step))
        return self.pages[index - 1] if index else None

    def next(self, step):
        """The page after `step`'s page, or None on the last."""
        index = self.pages.index(self.page_of(step))
        return self.pages[index + 1] if index + 1 < len(self.pages) else None

    @cached_property
    def numbered(self):
        return [step for step in self.pages if step.numbered]

    @property
    def count(self):
        """M in « Étape N sur M »."""
        return len(self.numbered)

    def position(self, step):
        """N in « Étape N sur M »."""
        return self.numbered.index(self.page_of(step)) + 1

    def percent_before(self, step):
        """How far the journey is when `step`'s page opens, as the page's progress bar says."""
        return round(100 * (self.position(step) - 1) / self.count)

    # -- Completeness

    def first_incomplete(self):
        """The page where a returning respondent lands: the first step not complete."""
        for step in self.steps:
            if not step.is_completed(self.response, self.values):
                return self.page_of(step)
        return None

    def missing_on(self, page):
        """What the review flags on `page`: its own steps shown there first, then its questions."""
        steps = [*self.shown_on(page), page]
        return [item for step in steps for item in step.missing(self.response, self.values)]

    def missing(self):
        """Everything required and missing, in the journey's order; sending needs none."""
        return [item for step in self.steps for item in step.missing(self.response, self.values)]

    @property
    def progress(self):
        """Share of the asked questions that have an answer, in percent (stored on Response)."""
        asked = [question for step in self.steps for question in step.asked(self.values)]
        if not asked:
            return 0
        answered = sum(1 for question in asked if self.values.get(question.code) is not None)
        return round(100 * answered / len(asked))
