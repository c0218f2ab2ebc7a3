"""Complementary suppression: no figure that is not published can be worked out from the
published ones (issue 22, point 4).

The publication rule (`estimation.reliability`) hides a figure that is too imprecise; this
pass comes after it, once per computation. The counts of one question (of one matrix row) in
the standing domains are bound by linear relations that anyone can write down:

- within a domain, the options of a single choice (of a matrix row) add up to the base, the
  respondents who answered it there (a multiple choice's options do not);
- across domains, for every option and for the base: ``toutes`` is the sum of the types and
  the sum of the régions; a type is the sum of its strata; ``3500-plus`` is ``toutes`` minus
  the communes of fewer than 3,500 inhabitants.

A hidden count is *determined* by the published ones when some combination of the relations
holds it alone among the unknowns: when its unit vector lies in the row space of the relation
matrix restricted to the unknown columns (the unknowns being the hidden counts, and the base of
a domain whose every option is hidden, which no page or file then shows); equivalently, no
change of the hidden counts that keeps every relation true can move it. The test is exact:
elimination on the integer matrix modulo a large prime.

While a primarily suppressed count is determined, we look for the cheapest change that keeps
the relations and moves it (the smallest weighted L1 norm of a vector x with A x = 0 and
x = 1 at that count, a small linear programme; published bases do not move): every published
count that this change touches is withheld too. The cost of withholding a count is 1 + its
size, so that the smallest counts — the least informative — go first. The percentages obey the
same relations within a domain (they add up to 100 %), so what protects the counts protects
them too.

Everything here reads plain Python and numpy; `estimation.run_computation` applies it to the
unsaved Estimates of a computation.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from results.models import Reliability, Statistic

BASE = ""  # the column of a domain's base, beside the option codes
# A change of a count in the linear programme's solution below this is none.
TOLERANCE = 1e-7
# Ranks are computed exactly, modulo this prime (2³¹ − 1): products of two residues fit in 64
# bits, and a rank over it differs from the rank over the rationals only if the prime divides
# every largest minor of a matrix of 0 and ±1, which does not happen at these sizes.
PRIME = 2_147_483_647


def partitions(domains):
    """[(whole, [parts])]: the standing domains that add up to another one.

    Only the domains given (those with respondents) appear; a missing part counts 0.
    """
    from results.estimation import ALL_DOMAIN, KIND_OF_STRATUM, LARGE_DOMAIN

    present = set(domains)
    found = []
    if ALL_DOMAIN in present:
        types = [d for d in domains if d.startswith("type:")]
        regions = [d for d in domains if d.startswith("region:")]
        found += [(ALL_DOMAIN, types), (ALL_DOMAIN, regions)]
        # 3500-plus = toutes − communes of fewer than 3,500 inhabitants, written as a sum.
        small = "strate:commune-lt3500"
        found.append((ALL_DOMAIN, [d for d in (LARGE_DOMAIN, small) if d in present]))
    for kind in {str(kind) for kind in KIND_OF_STRATUM.values()}:
        whole = f"type:{kind}"
        if whole in present:
            strata = [f"strate:{s}" for s, k in KIND_OF_STRATUM.items() if k == kind]
            found.append((whole, [d for d in strata if d in present]))
    # A whole present has some part present (its respondents are somewhere): a list of parts
    # left empty would only say that a table made by hand leaves them out.
    return [(whole, parts) for whole, parts in found if parts]


def isolated_columns(matrix):
    """The columns j of an integer matrix whose unit vector e_j lies in its row space: the
    unknowns that its relations pin down. Gauss–Jordan elimination modulo PRIME, vectorised
    (no floating point, no tolerance; BLAS threads, costly on a busy machine, are not used)."""
    a = np.mod(np.asarray(matrix).astype(np.int64), PRIME)
    pivots, r = [], 0
    for column in range(a.shape[1]):
        if r == a.shape[0]:
            break
        below = np.flatnonzero(a[r:, column])
        if not len(below):
            continue
        if below[0]:
            a[[r, r + below[0]]] = a[[r + below[0], r]]
        a[r] = a[r] * pow(int(a[r, column]), PRIME - 2, PRIME) % PRIME
        others = np.flatnonzero(a[:, column])
        others = others[others != r]
        if len(others):
            a[others] = (a[others] - np.outer(a[others, column], a[r]) % PRIME) % PRIME
        pivots.append(column)
        r += 1
    # In reduced row echelon form, e_j is in the row space iff some row is e_j.
    return [column for i, column in enumerate(pivots) if np.count_nonzero(a[i]) == 1]


@dataclass
class Table:
    """The counts of one question (or one matrix row) in every domain where it has any.

    `counts` maps (domain, option code) to the option's count and (domain, BASE) to the base;
    `hidden` holds the (domain, option) cells that the publication rule suppressed.
    """

    domains: list
    options: list
    counts: dict
    hidden: set
    options_add_up: bool

    def __post_init__(self):
        self.cells = [(d, o) for d in self.domains for o in [*self.options, BASE]]
        self.index = {cell: i for i, cell in enumerate(self.cells)}
        self.matrix = self._relations()

    def _relations(self):
        rows = []
        if self.options_add_up:
            for domain in self.domains:
                row = {(domain, option): 1 for option in self.options}
                rows.append(row | {(domain, BASE): -1})
        for whole, parts in partitions(self.domains):
            for column in [*self.options, BASE]:
                row = {(whole, column): 1}
                for part in parts:
                    row[part, column] = row.get((part, column), 0) - 1
                rows.append(row)
        matrix = np.zeros((len(rows), len(self.cells)))
        for i, row in enumerate(rows):
            for cell, coefficient in row.items():
                matrix[i, self.index[cell]] = coefficient
        return matrix

    def unknown(self, hidden):
        """The cells nobody can read when `hidden` are hidden: those, and the base of a
        domain whose every option is hidden."""
        closed = {d for d in self.domains if all((d, o) in hidden for o in self.options)}
        return set(hidden) | {(d, BASE) for d in closed}

    def determined(self, hidden):
        """The cells of `hidden` that the relations give from the published cells."""
        unknown = sorted(self.unknown(hidden), key=self.index.__getitem__)
        columns = [self.index[cell] for cell in unknown]
        if not columns:
            return set()
        sub = self.matrix[:, columns]
        sub = sub[np.any(sub != 0, axis=1)]
        if not len(sub):
            return set()
        isolated = isolated_columns(sub)
        return {unknown[j] for j in isolated} & hidden

    def cost(self, cell):
        return 1.0 + self.counts.get(cell, 0)

    def cheapest_cover(self, target, hidden, bases_move=False):
        """The published cells that the cheapest relation-keeping change of `target` touches,
        or None when no change keeps the published bases fixed (then `bases_move`)."""
        unknown = self.unknown(hidden)
        size = len(self.cells)
        weights = np.array([0.0 if cell in unknown else self.cost(cell) for cell in self.cells])
        bounds = []
        for cell in self.cells:
            fixed = cell[1] == BASE and cell not in unknown and not bases_move
            bounds.append((0, 0) if fixed else (0, None))
        if bases_move:
            # Moving a published base means hiding every option of its domain.
            for i, (domain, option) in enumerate(self.cells):
                if option == BASE and (domain, option) not in unknown:
                    weights[i] = sum(self.cost((domain, o)) for o in [*self.options, BASE])
        unit = np.zeros(size)
        unit[self.index[target]] = 1
        equalities = np.vstack([np.hstack([self.matrix, -self.matrix]), np.hstack([unit, -unit])])
        rhs = np.zeros(len(equalities))
        rhs[-1] = 1
        result = linprog(
            np.concatenate([weights, weights]),
            A_eq=equalities,
            b_eq=rhs,
            bounds=bounds + bounds,
            method="highs",
        )
        if result.status != 0:
            return None
        change = result.x[:size] - result.x[size:]
        touched = set()
        for cell, amount in zip(self.cells, change, strict=True):
            if abs(amount) <= TOLERANCE or cell in unknown:
                continue
            if cell[1] == BASE:
                touched |= {(cell[0], option) for option in self.options}
            else:
                touched.add(cell)
        return touched - hidden

    def withheld(self):
        """The published option cells to withhold so that no hidden cell is determined."""
        hidden = set(self.hidden)
        publishable = {(d, o) for d in self.domains for o in self.options}
        while exposed := self.determined(hidden) & self.hidden:
            target = min(exposed, key=self.index.__getitem__)
            cover = self.cheapest_cover(target, hidden)
            if cover is None:
                cover = self.cheapest_cover(target, hidden, bases_move=True)
            if not cover:
                # No progress is possible by the linear programme (numerical trouble):
                # withhold the whole table rather than publish a derivable figure.
                cover = publishable - hidden
            hidden |= cover
        return hidden - self.hidden


# -- On a computation's estimates ------------------------------------------------------------


def withhold_complements(estimates):
    """Mark as withheld (Reliability.WITHHELD) the published proportions from which a
    suppressed one could be worked out, among a computation's fresh estimates (saved or not);
    returns how many."""
    tables = {}
    for estimate in estimates:
        if estimate.statistic == Statistic.PROPORTION:
            tables.setdefault((estimate.question_id, estimate.row_code), []).append(estimate)
    withheld = 0
    for group in tables.values():
        if not any(estimate.reliability in Reliability.hidden() for estimate in group):
            continue
        by_cell = {(estimate.domain, estimate.choice_code): estimate for estimate in group}
        # `proportions` gives every option in every domain of the group: no cell is missing.
        for cell in table_of(group).withheld():
            by_cell[cell].reliability = Reliability.WITHHELD
            withheld += 1
    return withheld


def table_of(group):
    """The Table of one question's (one matrix row's) proportion Estimates."""
    domains = list(dict.fromkeys(estimate.domain for estimate in group))
    options = list(dict.fromkeys(estimate.choice_code for estimate in group))
    counts, hidden = {}, set()
    for estimate in group:
        cell = (estimate.domain, estimate.choice_code)
        counts[cell] = estimate.n
        counts[estimate.domain, BASE] = estimate.base_n
        if estimate.reliability in Reliability.hidden():
            hidden.add(cell)
    kind = group[0].question.kind_class
    return Table(
        domains=domains,
        options=options,
        counts=counts,
        hidden=hidden,
        options_add_up=kind.one_option_per_answer or kind.has_items,
    )
