"""Counts of Hypothesis examples that follow the profile (tests/conftest.py)."""

from hypothesis import settings

# The `ci` profile's count (Hypothesis' default): a test's own count is meant for that profile.
FULL = 100


def examples(full):
    """`full` examples under the `ci` profile; as many in proportion under another (a fifth
    under `dev`), ten at least."""
    return max(10, full * settings.default.max_examples // FULL)
