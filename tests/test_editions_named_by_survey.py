"""An edition is always found by its survey and its year: two surveys share 2025."""

import re
from pathlib import Path

import pytest

from survey.questionnaire.models import Edition

ROOT = Path(__file__).resolve().parent.parent
BY_YEAR_ALONE = re.compile(
    r"Edition(\.objects)?\.(get|filter)\(year=|get_object_or_404\(Edition, *year="
)


def sources():
    """The project's Python files, tests and migrations aside (not the virtualenv's)."""
    for top in ROOT.iterdir():
        if top.is_dir() and not top.name.startswith(".") and top.name != "tests":
            yield from (path for path in top.rglob("*.py") if "migrations" not in path.parts)
    yield from ROOT.glob("*.py")


def test_no_code_looks_an_edition_up_by_its_year_alone():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BY_YEAR_ALONE.search(line)
    ]
    assert len(list(sources())) > 100
    assert found == []


@pytest.mark.parametrize("lookup", [lambda: Edition.objects.for_year(2025),
                                    lambda: Edition.objects.current()])  # fmt: skip
def test_the_edition_lookups_require_the_survey(lookup):
    with pytest.raises(TypeError, match="survey"):
        lookup()
