"""Admin forms filled by tests."""


def question_form_data(question, **changes):
    """The change form of a question as the browser posts it, with its choice inline."""
    data = {
        "edition": question.edition_id,
        "section": question.section_id,
        "position": question.position,
        "code": question.code,
        "kind": question.kind,
        "text": question.text,
        "help_text": "",
        "condition_codes": "[]",
        "is_active": "on",
        "open_data": "on",
        "choices-TOTAL_FORMS": question.choices.count(),
        "choices-INITIAL_FORMS": question.choices.count(),
        "items-TOTAL_FORMS": 0,
        "items-INITIAL_FORMS": 0,
    }
    for index, choice in enumerate(question.choices.order_by("position")):
        data |= {
            f"choices-{index}-id": choice.pk,
            f"choices-{index}-question": question.pk,
            f"choices-{index}-position": choice.position,
            f"choices-{index}-code": choice.code,
            f"choices-{index}-label": choice.label,
            f"choices-{index}-is_active": "on",
        }
    return data | changes
