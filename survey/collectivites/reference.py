"""What the official list's file and its build script share (no Django: the script imports it).

`scripts/build_collectivites.py` writes `data/collectivites-2025.csv.gz` with these columns and
checks every SIREN with this key; `load_collectivites` reads the same columns back.
"""

COLUMNS = [
    "kind",
    "siren",
    "insee_code",
    "name",
    "epci_nature",
    "departement_code",
    "departement_name",
    "region_code",
    "region_name",
    "population",
    "postcodes",
]

ASCII_DIGITS = frozenset("0123456789")


def luhn_is_valid(digits):
    """Whether a string of ASCII digits passes the Luhn check (SIREN and SIRET check keys)."""
    if not digits or not set(digits) <= ASCII_DIGITS:
        return False
    total = 0
    for position, digit in enumerate(int(char) for char in reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def siren_is_valid(siren):
    """Nine ASCII digits whose Luhn sum is a multiple of ten."""
    return len(siren) == 9 and luhn_is_valid(siren)
