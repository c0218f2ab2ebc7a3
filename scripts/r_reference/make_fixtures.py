#!/usr/bin/env python3
"""Write the small test datasets that R's `survey` package is run on (dev-only, run once).

    python scripts/r_reference/make_fixtures.py      # writes tests/data/r_reference/*.csv

The files are committed; tests read them, and `make r-reference` gives them to
`scripts/r_reference/reference.R`. The seed is fixed, so running this again writes the same
bytes. What the sample holds, on purpose:

- six strata of very unequal sizes, sampled without replacement (N_h in `N_h`);
- `epci-metropole` answered in full (12 of 12): its finite-population correction is 0;
- `epci-cc` with 4 respondents for 800 collectivités, unanimous on `rare` (all 0) and on
  `usage` (all 0): the case where a stratified variance is blind to its uncertainty;
- `departement` with a single respondent (R's « certainty » rule for a lonely unit);
- three régions and an `urbain` flag, margins to post-stratify and rake to (`frame.csv` gives
  N per stratum × région, `margins.csv` the `urbain` margin);
- four binary answers (`usage`, `rare`, `nsp`, and `ouvert`, which the strata nearly
  determine, so that its effective size can exceed the respondents) and a number with ties
  (`agents`);
- domains as 0/1 columns: `dom_nord` (a région), `dom_urbain`, `dom_petites` (two whole
  strata: communes under 3,500 and communautés de communes), `dom_moyennes` (communes of
  3,500 to 100,000 inhabitants, two whole strata where no cell is unanimous on `ouvert`).
"""

import csv
from pathlib import Path

import numpy as np

SEED = 20261207
OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "r_reference"

# stratum, N_h, n_h, P(usage), P(ouvert), P(urbain), typical number of agents
STRATA = [
    ("commune-lt3500", 1200, 40, 0.30, 0.03, 0.05, 8),
    ("commune-3500-10000", 300, 25, 0.50, 0.95, 0.40, 60),
    ("commune-10000-100000", 60, 15, 0.70, 0.50, 0.90, 400),
    ("epci-metropole", 12, 12, 0.90, 0.50, 1.00, 2500),
    ("epci-cc", 800, 4, 0.00, 0.50, 0.00, 30),
    ("departement", 30, 1, 1.00, 1.00, 0.50, 3000),
]
REGIONS = ["est", "nord", "sud"]
REGION_SHARES = [0.25, 0.35, 0.40]
URBAIN_SHARE = 0.12  # of the population, for the `urbain` margin


def main():
    rng = np.random.default_rng(SEED)
    rows, frame = [], []
    for stratum, big_n, n, p_usage, p_ouvert, p_urbain, agents in STRATA:
        regions = rng.choice(REGIONS, size=n, p=REGION_SHARES)
        if n == big_n:
            counts = {r: int((regions == r).sum()) for r in REGIONS}
        else:
            rest = rng.multinomial(big_n - n, REGION_SHARES)
            counts = {
                r: int((regions == r).sum()) + int(k) for r, k in zip(REGIONS, rest, strict=True)
            }
        frame += [(stratum, r, counts[r]) for r in REGIONS if counts[r]]
        for i in range(n):
            usage = int(rng.random() < p_usage)
            rare = int(stratum != "epci-cc" and rng.random() < 0.07)
            nsp = int(not usage and rng.random() < 0.25)
            ouvert = int(rng.random() < p_ouvert)
            # Answers in steps of 5 above 20, so that the number has ties.
            count = int(rng.lognormal(np.log(agents), 0.6))
            count = count if count < 20 else 5 * round(count / 5)
            rows.append(
                {
                    "id": 0,
                    "stratum": stratum,
                    "N_h": big_n,
                    "weight": big_n / n,
                    "region": regions[i],
                    "urbain": int(rng.random() < p_urbain),
                    "usage": usage,
                    "rare": rare,
                    "nsp": nsp,
                    "ouvert": ouvert,
                    "agents": count,
                }
            )
    for i, row in enumerate(rows, start=1):
        row["id"] = i
        row["dom_nord"] = int(row["region"] == "nord")
        row["dom_urbain"] = row["urbain"]
        row["dom_petites"] = int(row["stratum"] in ("commune-lt3500", "epci-cc"))
        row["dom_moyennes"] = int(row["stratum"] in ("commune-3500-10000", "commune-10000-100000"))
    total = sum(big_n for _, big_n, *_ in STRATA)
    urbain = round(URBAIN_SHARE * total)

    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "sample.csv", list(rows[0]), [list(row.values()) for row in rows])
    write(OUT / "frame.csv", ["stratum", "region", "N"], frame)
    write(
        OUT / "margins.csv",
        ["margin", "category", "N"],
        [("urbain", 0, total - urbain), ("urbain", 1, urbain)],
    )


def write(path, header, rows):
    with path.open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"{path}: {len(rows)} rows")


if __name__ == "__main__":
    main()
