"""Complementary suppression on small tables made by hand (results/suppression.py).

Each table is a single choice (options « a » and « b ») counted in a few standing domains; the
counts are those of a handful of cells (stratum × région) added up as the estimates would add
them, so that every relation the module writes down holds.
"""

from fractions import Fraction

from results.suppression import BASE, Table, partitions

OPTIONS = ["a", "b"]
# (stratum, région): counts of « a » and « b ».
CELLS = {
    ("strate:commune-lt3500", "region:11"): (3, 5),
    ("strate:commune-lt3500", "region:84"): (7, 2),
    ("strate:commune-3500-10000", "region:11"): (4, 4),
    ("strate:commune-3500-10000", "region:84"): (6, 1),
    ("strate:epci-cc", "region:11"): (2, 8),
    ("strate:epci-cc", "region:84"): (5, 3),
}
DOMAINS = [
    "toutes",
    "3500-plus",
    "type:commune",
    "type:epci",
    "strate:commune-lt3500",
    "strate:commune-3500-10000",
    "strate:epci-cc",
    "region:11",
    "region:84",
]


def in_domain(domain, stratum, region):
    kind = "type:commune" if "commune" in stratum else "type:epci"
    large = stratum != "strate:commune-lt3500"
    return domain in ("toutes", stratum, region, kind) or (domain == "3500-plus" and large)


def counts(options_add_up=True):
    found = {}
    for domain in DOMAINS:
        members = [n for (s, r), n in CELLS.items() if in_domain(domain, s, r)]
        for j, option in enumerate(OPTIONS):
            found[domain, option] = sum(n[j] for n in members)
        # A multiple choice: some respondents ticked both, so the base is below the sum.
        found[domain, BASE] = sum(sum(n) for n in members) - (0 if options_add_up else 1)
    return found


def table(hidden, options_add_up=True):
    return Table(DOMAINS, OPTIONS, counts(options_add_up), set(hidden), options_add_up)


def derivable(table, hidden):
    """An independent check, in exact arithmetic: the hidden cells that Gauss–Jordan
    elimination of the relations isolates, given every published count."""
    unknown = sorted(table.unknown(hidden), key=table.index.__getitem__)
    rows = [[Fraction(int(table.matrix[i, table.index[c]])) for c in unknown]
            for i in range(len(table.matrix))]  # fmt: skip
    pivots, r = [], 0
    for column in range(len(unknown)):
        pivot = next((i for i in range(r, len(rows)) if rows[i][column] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        rows[r] = [value / rows[r][column] for value in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][column] != 0:
                factor = rows[i][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(column)
        r += 1
    return {
        unknown[column]
        for row, column in zip(rows, pivots, strict=False)
        if sum(value != 0 for value in row) == 1
    } & set(hidden)


def test_the_relations_are_those_of_the_domains_and_hold_on_the_counts():
    t = table(set())
    values = [counts()[cell] for cell in t.cells]
    assert (t.matrix @ values == 0).all()
    assert ("toutes", ["region:11", "region:84"]) in partitions(DOMAINS)
    assert ("type:epci", ["strate:epci-cc"]) in partitions(DOMAINS)
    assert ("toutes", ["3500-plus", "strate:commune-lt3500"]) in partitions(DOMAINS)


def test_a_hidden_cell_of_a_block_gets_a_complement_in_its_block():
    hidden = {("region:11", "a")}
    t = table(hidden)
    assert t.determined(hidden) == hidden  # 100 % (the base) minus « b » gives it back
    withheld = t.withheld()
    assert ("region:11", "b") in withheld
    assert not t.determined(hidden | withheld)
    assert not derivable(t, hidden | withheld)


def test_a_cell_found_only_by_combining_two_relations_gets_protected():
    # Every relation that holds (région 11, « a ») has another unknown in it, yet the base of
    # région 11 comes from the régions' bases and « a » in all collectivités from the types:
    # together they give it back.
    hidden = {("region:11", "a"), ("region:11", "b"), ("toutes", "a")}
    t = table(hidden)
    unknown = sorted(t.unknown(hidden), key=t.index.__getitem__)
    columns = [t.index[cell] for cell in unknown]
    alone = [
        row[unknown.index(("region:11", "a"))] != 0 and (row != 0).sum() == 1
        for row in t.matrix[:, columns]
    ]
    assert not any(alone)
    assert ("region:11", "a") in t.determined(hidden)
    assert ("region:11", "a") in derivable(t, hidden)
    withheld = t.withheld()
    assert withheld
    assert not t.determined(hidden | withheld)
    assert not derivable(t, hidden | withheld)


def test_a_hidden_stratum_alone_in_its_type_hides_its_twin_domain_too():
    # Communautés de communes are the only EPCI of the table: the type is the same domain.
    hidden = {("strate:epci-cc", "a")}
    t = table(hidden)
    withheld = t.withheld()
    assert ("type:epci", "a") in withheld
    assert not derivable(t, hidden | withheld)


def test_nothing_is_withheld_when_nothing_is_suppressed():
    assert table(set()).withheld() == set()


def test_nothing_more_is_hidden_when_no_suppressed_cell_can_be_derived():
    # A multiple choice whose « a » is hidden in both régions: their sum is known (all
    # collectivités), neither of them is.
    hidden = {("region:11", "a"), ("region:84", "a")}
    t = table(hidden, options_add_up=False)
    assert not derivable(t, hidden)
    assert not t.determined(hidden)
    assert t.withheld() == set()


def test_a_multiple_choice_option_is_protected_across_domains_only():
    # No block relation: the options of a multiple choice do not add up to the base.
    hidden = {("strate:commune-lt3500", "a")}
    t = table(hidden, options_add_up=False)
    assert derivable(t, hidden) == hidden  # communes minus the other stratum
    withheld = t.withheld()
    assert all(option == "a" for _, option in withheld)
    assert not derivable(t, hidden | withheld)


def test_the_smallest_counts_are_withheld_first():
    # Région 11 « a » (n = 9) can be protected by any other région's or type's count of
    # « a »; the cheapest cover hides no count of all collectivités (n = 27).
    hidden = {("region:11", "a")}
    withheld = table(hidden).withheld()
    assert ("toutes", "a") not in withheld
    assert ("toutes", "b") not in withheld
