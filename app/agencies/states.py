"""Indian states and union territories as ISO 3166-2:IN codes, as updated in 2023 (36 codes).

Four codes changed in 2023; the old ones are accepted on input and stored as the new ones.
"""

from __future__ import annotations

from app.errors import Problem

STATES: dict[str, str] = {
    "IN-AP": "Andhra Pradesh",
    "IN-AR": "Arunachal Pradesh",
    "IN-AS": "Assam",
    "IN-BR": "Bihar",
    "IN-CG": "Chhattisgarh",
    "IN-GA": "Goa",
    "IN-GJ": "Gujarat",
    "IN-HR": "Haryana",
    "IN-HP": "Himachal Pradesh",
    "IN-JH": "Jharkhand",
    "IN-KA": "Karnataka",
    "IN-KL": "Kerala",
    "IN-MP": "Madhya Pradesh",
    "IN-MH": "Maharashtra",
    "IN-MN": "Manipur",
    "IN-ML": "Meghalaya",
    "IN-MZ": "Mizoram",
    "IN-NL": "Nagaland",
    "IN-OD": "Odisha",
    "IN-PB": "Punjab",
    "IN-RJ": "Rajasthan",
    "IN-SK": "Sikkim",
    "IN-TN": "Tamil Nadu",
    "IN-TS": "Telangana",
    "IN-TR": "Tripura",
    "IN-UP": "Uttar Pradesh",
    "IN-UK": "Uttarakhand",
    "IN-WB": "West Bengal",
    # Union territories
    "IN-AN": "Andaman and Nicobar Islands",
    "IN-CH": "Chandigarh",
    "IN-DH": "Dadra and Nagar Haveli and Daman and Diu",
    "IN-DL": "Delhi",
    "IN-JK": "Jammu and Kashmir",
    "IN-LA": "Ladakh",
    "IN-LD": "Lakshadweep",
    "IN-PY": "Puducherry",
}

RENAMED_2023: dict[str, str] = {
    "IN-CT": "IN-CG",
    "IN-OR": "IN-OD",
    "IN-TG": "IN-TS",
    "IN-UT": "IN-UK",
}


def normalise_state(code: str) -> str:
    """The current code for ``code`` (case-insensitive; old codes mapped); ValueError if unknown."""
    upper = code.strip().upper()
    upper = RENAMED_2023.get(upper, upper)
    if upper not in STATES:
        raise ValueError("not an ISO 3166-2:IN state or union territory code")
    return upper


def state_query(value: str | None, name: str) -> str | None:
    """A state code from a query parameter, normalised; an unknown code is a 422 naming it."""
    if value is None:
        return None
    try:
        return normalise_state(value)
    except ValueError as exc:
        raise Problem(
            422,
            "Unknown state code.",
            errors=[{"loc": ["query", name], "type": "state_code", "msg": str(exc)}],
        ) from exc
