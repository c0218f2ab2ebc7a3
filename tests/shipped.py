"""The configuration that ships: what `make run` loads, for tests of pages and commands.

`make load` runs, in order, every `manage.py` command of its recipe in the Makefile: all the
questionnaires (both surveys, so two editions of 2025), the 2023 published table, the official
list of collectivités. `load_shipped()` runs those same commands, read from the Makefile, once
per test session (about ten seconds, most of it the official list) and keeps the rows they
created; `restore()` writes those rows back (a second or two), so that each module of tests on
the shipped configuration starts from it inside its own transaction, rolled back at its end.
Tests that build their own minimal editions never see any of it.

The fixtures are in tests/conftest.py: `shipped` (module scope: the configuration as loaded)
and `shipped_results` (module scope: sent responses seeded on the 2025 barometer and its
results computed, so that the results pages have figures). A module that uses them uses them
for all its tests (`pytestmark = pytest.mark.usefixtures("shipped")`), and holds no browser or
`transactional_db` test: those commit and flush, and the live server reads another connection.
"""

import io
import re
import shlex
from pathlib import Path

from django.core.management import call_command

from tests.helpers.database import snapshot_of

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = ROOT / "Makefile"
MANAGE = "$(BIN)/python manage.py "

# The 2025 barometer's figures in tests: enough sent responses for every stratum to have some,
# few enough to seed in seconds; a fixed seed, so that every run sees the same figures.
SEEDED_RESPONSES = 400
SEED = 22


def load_commands():
    """The `manage.py` commands of the Makefile's `load` recipe, in order, as argument lists,
    with the Makefile's variables expanded and files named from the repository's root."""
    text = MAKEFILE.read_text(encoding="utf-8")
    variables = dict(re.findall(r"^([A-Z_]+) :?= (.*)$", text, re.M))
    recipe = re.search(r"^load:.*\n((?:\t.*\n)+)", text, re.M)
    if recipe is None:
        raise AssertionError("Le Makefile n'a plus de cible « load ».")
    commands = []
    for line in recipe.group(1).splitlines():
        line = line.strip()
        if not line.startswith(MANAGE):
            raise AssertionError(f"Ligne inattendue dans la cible « load » : {line}")
        line = re.sub(r"\$\((\w+)\)", lambda match: variables[match.group(1)], line)
        words = shlex.split(line.removeprefix(MANAGE.replace("$(BIN)", variables["BIN"])))
        commands.append([str(ROOT / word) if (ROOT / word).is_file() else word for word in words])
    return commands


def load_shipped():
    """Run the Makefile's load commands and return the rows they created (the caller rolls
    the load back: the snapshot is restored where it is wanted)."""

    def load():
        for command in load_commands():
            call_command(*command, stdout=io.StringIO(), verbosity=0)

    _, snapshot = snapshot_of(load)
    return snapshot


def seed_and_compute(count=SEEDED_RESPONSES, seed=SEED):
    """Sent responses on the shipped 2025 barometer, its frame frozen and its results computed,
    through the commands staff run (README, « Results »). Returns the computation."""
    from results.models import Computation
    from survey.questionnaire.models import Edition

    edition = Edition.objects.for_year(2025, "barometre-ia-collectivites")
    quiet = {"stdout": io.StringIO(), "verbosity": 0}
    call_command("freeze_frame", edition=2025, **quiet)
    call_command("seed_responses", count=count, edition=2025, submitted_share=1, seed=seed, **quiet)
    call_command("compute_results", edition=2025, **quiet)
    return Computation.objects.current(edition)
