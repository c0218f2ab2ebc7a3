#!/usr/bin/env python3
"""Rebuild data/collectivites-2025.csv.gz from the official npm package.

    python scripts/build_collectivites.py            # needs npm and the npm registry
    python scripts/build_collectivites.py --package path/to/package.tgz

The package `@etalab/decoupage-administratif`, version 5.3.0 (pinned: it carries the 2025
data; 6.x carries 2026), is fetched with `npm pack` into a temporary folder. Its data are
under Licence Ouverte / Etalab 2.0. From it we keep:

- the current communes (`"type": "commune-actuelle"`): INSEE code, SIREN, name, département,
  région, postcodes, population (population municipale);
- the EPCI à fiscalité propre: SIREN (their `code`), name, nature (CC, CA, CU, METRO, MET69),
  population municipale; their département is the one holding most of their population;
- the départements and régions, whose SIREN come from the tables below (the package has
  none), with the population as the sum of their communes.

Where one collectivité à statut particulier exercises the powers of départements and/or a
région, it replaces them (one row, kind `statut_particulier` unless said otherwise):

- Collectivité de Corse: région 94 and départements 2A and 2B;
- Collectivité européenne d'Alsace: départements 67 and 68 (région Grand Est stays);
- Collectivité territoriale de Martinique: région 02 and département 972;
- Collectivité territoriale de Guyane: région 03 and département 973;
- Département de Mayotte (kind `departement`): département 976, also exercising the powers
  of région 06;
- Ville de Paris: commune and département 75 in one; it is the commune 75056 of the package
  (kind `commune`), so département 75 has no row of its own;
- Métropole de Lyon: exercises the département's powers on its territory; it is the EPCI of
  nature MET69, and the Département du Rhône's population excludes its communes.

The collectivités d'outre-mer themselves (Polynésie française, Nouvelle-Calédonie, …) are not
in the list; their communes are, and 94 of them have no SIREN in the package (kept empty).

The output is a gzip CSV, rows sorted by kind then codes, written byte-for-byte reproducibly.
The script stops, writing nothing, when a count or a SIREN check key is wrong.
"""

import argparse
import collections
import csv
import gzip
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
VERSION = "5.3.0"
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "data" / "collectivites-2025.csv.gz"

# The columns and the SIREN check are shared with the loader (no Django needed to import them).
sys.path.insert(0, str(ROOT))
from survey.collectivites.reference import COLUMNS, siren_is_valid  # noqa: E402

# What the 2025 package holds; a different count means the wrong package or a changed format.
EXPECTED_COMMUNES = 34_969
EXPECTED_EPCI = 1_255

# SIREN of each conseil départemental (public SIRENE data, cross-checked between two
# independent public sources and by the check key). Départements replaced by a collectivité
# à statut particulier are in SPECIAL below, Paris is the commune 75056.
DEPARTEMENT_SIRENS = {
    "01": "220100010", "02": "220200026", "03": "220300016", "04": "220400014",
    "05": "220500011", "06": "220600019", "07": "220700017", "08": "220800049",
    "09": "220900013", "10": "221000052", "11": "221100019", "12": "221200017",
    "13": "221300015", "14": "221401185", "15": "221500010", "16": "221600018",
    "17": "221700016", "18": "221800014", "19": "221927205", "21": "222100018",
    "22": "222200016", "23": "222309627", "24": "222400012", "25": "222500019",
    "26": "222600017", "27": "222702292", "28": "222800013", "29": "222900011",
    "30": "223000019", "31": "223100017", "32": "223200015", "33": "223300013",
    "34": "223400011", "35": "223500018", "36": "223600016", "37": "223700014",
    "38": "223800012", "39": "223900010", "40": "224000018", "41": "224100016",
    "42": "224200014", "43": "224300012", "44": "224400028", "45": "224500017",
    "46": "224600015", "47": "224700013", "48": "224800011", "49": "224900019",
    "50": "225005024", "51": "225100015", "52": "225200013", "53": "225300011",
    "54": "225400019", "55": "225500016", "56": "225600014", "57": "225700012",
    "58": "225800010", "59": "225900018", "60": "226000016", "61": "226100014",
    "62": "226200012", "63": "226300010", "64": "226400018", "65": "226500015",
    "66": "226600013", "69": "226900017", "70": "227000015", "71": "227100013",
    "72": "227200029", "73": "227300019", "74": "227400017", "76": "227605409",
    "77": "227700010", "78": "227806460", "79": "227900016", "80": "228000014",
    "81": "228100012", "82": "228200010", "83": "228300018", "84": "228400016",
    "85": "228500013", "86": "228600011", "87": "228708517", "88": "228800017",
    "89": "228900015", "90": "229000013", "91": "229102280", "92": "229200506",
    "93": "229300082", "94": "229400288", "95": "229501275", "971": "229710017",
    "974": "229740014", "976": "229850003",
}  # fmt: skip

# SIREN of each conseil régional; régions replaced by a collectivité are in SPECIAL.
REGION_SIRENS = {
    "01": "239710015", "04": "239740012", "11": "237500079", "24": "234500023",
    "27": "200053726", "28": "200053403", "32": "200053742", "44": "200052264",
    "52": "234400034", "53": "233500016", "75": "200053759", "76": "200053791",
    "84": "200053767", "93": "231300021",
}  # fmt: skip

# (SIREN, name, départements replaced, région replaced or None, région it belongs to)
SPECIAL = [
    ("200076958", "Collectivité de Corse", ["2A", "2B"], "94", "94"),
    ("200094332", "Collectivité européenne d'Alsace", ["67", "68"], None, "44"),
    ("200055507", "Collectivité territoriale de Martinique", ["972"], "02", "02"),
    ("200052678", "Collectivité territoriale de Guyane", ["973"], "03", "03"),
]
# Régions and départements covered otherwise (see the module docstring).
REGION_HELD_BY_DEPARTEMENT = {"06": "976"}  # Mayotte
DEPARTEMENT_HELD_BY_COMMUNE = {"75": "75056"}  # Paris

# INSEE's "type de nom en clair": the linking word before a name ("de l'Ain", "du Rhône").
LINKING_WORDS = {0: "de ", 1: "d'", 2: "du ", 3: "de la ", 4: "des ", 5: "de l'"}


def fetch_package(workdir):
    """`npm pack` the pinned version into workdir and return the tarball's path."""
    result = subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(workdir) / result.stdout.strip().splitlines()[-1]


def read_package(tarball):
    """The four JSON files of the tarball, as Python objects."""
    names = ["communes", "epci", "departements", "regions"]
    data = {}
    with tarfile.open(tarball) as archive:
        for name in names:
            member = archive.extractfile(f"package/data/{name}.json")
            data[name] = json.load(member)
        version = json.load(archive.extractfile("package/package.json"))["version"]
    if version != VERSION:
        sys.exit(f"Expected {PACKAGE} {VERSION}, got {version}")
    return data


def build_rows(data):
    departements = {d["code"]: d for d in data["departements"]}
    regions = {r["code"]: r for r in data["regions"]}
    communes = [c for c in data["communes"] if c["type"] == "commune-actuelle"]
    epcis = data["epci"]
    problems = []
    if len(communes) != EXPECTED_COMMUNES:
        problems.append(f"{len(communes)} current communes, expected {EXPECTED_COMMUNES}")
    if len(epcis) != EXPECTED_EPCI:
        problems.append(f"{len(epcis)} EPCI, expected {EXPECTED_EPCI}")

    def place(departement_code, region_code):
        return {
            "departement_code": departement_code,
            "departement_name": departements[departement_code]["nom"] if departement_code else "",
            "region_code": region_code,
            "region_name": regions[region_code]["nom"] if region_code else "",
        }

    rows = []
    population_by_departement = collections.Counter()
    population_by_region = collections.Counter()
    commune_by_code = {}
    for commune in communes:
        population = commune.get("population", 0)
        population_by_departement[commune["departement"]] += population
        population_by_region[commune["region"]] += population
        commune_by_code[commune["code"]] = commune
        rows.append(
            {
                "kind": "commune",
                "siren": commune.get("siren", ""),
                "insee_code": commune["code"],
                "name": commune["nom"],
                "epci_nature": "",
                **place(commune["departement"], commune["region"]),
                "population": population,
                "postcodes": " ".join(sorted(set(commune.get("codesPostaux", [])))),
            }
        )

    lyon_population_by_departement = collections.Counter()
    for epci in epcis:
        member_population = collections.Counter()
        for member in epci["membres"]:
            commune = commune_by_code[member["code"]]
            member_population[commune["departement"]] += commune.get("population", 0)
        main_departement = member_population.most_common(1)[0][0]
        if epci["type"] == "MET69":
            lyon_population_by_departement = member_population
        rows.append(
            {
                "kind": "epci",
                "siren": epci["code"],
                "insee_code": "",
                "name": epci["nom"],
                "epci_nature": epci["type"],
                **place(main_departement, departements[main_departement]["region"]),
                "population": epci["populationMunicipale"],
                "postcodes": "",
            }
        )

    covered_departements = set(DEPARTEMENT_HELD_BY_COMMUNE)
    covered_regions = set(REGION_HELD_BY_DEPARTEMENT)
    for code, siren in DEPARTEMENT_SIRENS.items():
        departement = departements[code]
        linking = LINKING_WORDS[departement["typeLiaison"]]
        covered_departements.add(code)
        rows.append(
            {
                "kind": "departement",
                "siren": siren,
                "insee_code": "",
                "name": f"Département {linking}{departement['nom']}",
                "epci_nature": "",
                **place(code, departement["region"]),
                # The Métropole de Lyon exercises the département's powers on its territory.
                "population": population_by_departement[code]
                - lyon_population_by_departement[code],
                "postcodes": "",
            }
        )
    for code, siren in REGION_SIRENS.items():
        covered_regions.add(code)
        rows.append(
            {
                "kind": "region",
                "siren": siren,
                "insee_code": "",
                "name": f"Région {regions[code]['nom']}",
                "epci_nature": "",
                **place("", code),
                "population": population_by_region[code],
                "postcodes": "",
            }
        )
    for siren, name, replaced_departements, replaced_region, region_code in SPECIAL:
        covered_departements.update(replaced_departements)
        if replaced_region:
            covered_regions.add(replaced_region)
        single = replaced_departements[0] if len(replaced_departements) == 1 else ""
        rows.append(
            {
                "kind": "statut_particulier",
                "siren": siren,
                "insee_code": "",
                "name": name,
                "epci_nature": "",
                **place(single, region_code),
                "population": sum(population_by_departement[d] for d in replaced_departements),
                "postcodes": "",
            }
        )

    # Every département and région of France (not the collectivités d'outre-mer) is covered.
    french_departements = {c for c, d in departements.items() if d["zone"] != "com"}
    french_regions = {c for c, r in regions.items() if r["zone"] != "com"}
    if (len(french_departements), len(french_regions)) != (101, 18):
        problems.append(f"{len(french_departements)} départements, {len(french_regions)} régions")
    if covered_departements != french_departements:
        problems.append(f"départements covered: {covered_departements ^ french_departements}")
    if covered_regions != french_regions:
        problems.append(f"régions covered: {covered_regions ^ french_regions}")
    sirens = [row["siren"] for row in rows if row["siren"]]
    problems += [f"bad SIREN check key: {siren}" for siren in sirens if not siren_is_valid(siren)]
    problems += [
        f"duplicate SIREN: {siren}"
        for siren, count in collections.Counter(sirens).items()
        if count > 1
    ]
    if problems:
        sys.exit("Nothing written:\n- " + "\n- ".join(problems))

    kind_order = ["region", "statut_particulier", "departement", "epci", "commune"]
    rows.sort(
        key=lambda r: (
            kind_order.index(r["kind"]),
            r["insee_code"],
            r["departement_code"],
            r["region_code"],
            r["siren"],
        )
    )
    return rows


def write_rows(rows, output):
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    output.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 and no file name in the header: the same data give the same bytes.
    with (
        open(output, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(text.getvalue().encode())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, help="a tarball already fetched with npm pack")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        tarball = args.package or fetch_package(workdir)
        rows = build_rows(read_package(tarball))
    write_rows(rows, args.output)
    counts = collections.Counter(row["kind"] for row in rows)
    print(f"{args.output}: {len(rows)} rows, " + ", ".join(f"{k} {n}" for k, n in counts.items()))


if __name__ == "__main__":
    main()
