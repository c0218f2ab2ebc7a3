"""What the apps built on the exports add to them, registered from their `AppConfig.ready()`.

The exports never import those apps (pretix's `register_data_exporters`, healthchecks'
integrations): the results append each response's weight to the collectivités' wide table and
add their estimates to the open-data package; the citizens' poll appends each sitting's outcome,
flags and weight to its own wide table.
"""

from dataclasses import dataclass
from typing import Any

from survey.enums import Audience


@dataclass(frozen=True)
class ColumnGroup:
    """Columns that close every wide row of the editions of one audience."""

    audience: Audience
    # columns(options) -> [Column]
    columns: Any
    # cells(edition, options) -> a function of a response that gives its cells, in order
    cells: Any


COLUMN_GROUPS = {}
OPEN_DATA_RESOURCES = {}


def register_columns(name, audience, columns, cells):
    """Append the group `name` to the wide table of `audience`'s editions (once per name)."""
    COLUMN_GROUPS[name] = ColumnGroup(audience, columns, cells)


def column_groups(audience):
    """The registered groups of an audience, in the order of their registration."""
    return [group for group in COLUMN_GROUPS.values() if group.audience == audience]


def register_open_data_resource(name, resource):
    """Add a file to the open-data package: `resource(edition)` gives its (descriptor, CSV
    bytes iterator), or None when the edition has nothing to add."""
    OPEN_DATA_RESOURCES[name] = resource


def open_data_resources(edition):
    """(descriptor, bytes iterator) of each registered file the edition has."""
    return [
        found
        for resource in OPEN_DATA_RESOURCES.values()
        if (found := resource(edition)) is not None
    ]
