"""The name normal form behind blind-index search. The README lists these pairs."""

from __future__ import annotations

import pytest

from app.vault.names import normalise_name, normalise_phone

MATCH = [
    ("सुनीता", "Sunita"),  # Devanagari / Latin
    ("पूजा", "Pooja"),  # oo -> u
    ("राम", "Ram"),  # final inherent a dropped
    ("সুনীতা", "सुनीता"),  # Bengali / Devanagari spelling of one name
    ("लक्ष्मी", "Lakshmi"),  # ष -> sh
    ("शांति", "Shanti"),  # श -> sh, anusvara -> n
    ("कृष्णा", "Krishna"),  # ऋ -> ri
    ("चंपा", "Champa"),  # च -> ch, anusvara before p -> m
    ("छाया", "Chhaya"),  # छ -> chh
    ("ज़ैनब", "Zainab"),  # nukta dropped
    ("संगीता", "Sangeeta"),  # ee -> i
    ("Geeta", "Gita"),
    ("Aarti", "Arti"),  # aa -> a
    ("Wasim", "Vasim"),  # w -> v
    ("ਸੁਨੀਤਾ", "Sunita"),  # Gurmukhi
    ("ସୁନୀତା", "Sunita"),  # Odia
    ("सुनीता देवी", "  SUNITA   devi "),  # case and spacing
    ("Sunīta", "Sunita"),  # diacritics
]

DIFFERENT = [
    ("Sunita", "Sanita"),
    ("Ram", "Rama"),
    ("Lakshmi", "Laxmi"),
    ("Shanti", "Santi"),
    ("Rekha", "Reka"),
    ("Pooja", "Pooja Devi"),
    ("राम", "रमा"),
]


@pytest.mark.parametrize(("a", "b"), MATCH)
def test_spellings_of_one_name_match(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)
    assert normalise_name(a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_names_stay_different(a: str, b: str) -> None:
    assert normalise_name(a) != normalise_name(b)


@pytest.mark.parametrize("phone", ["+91 98765 43210", "098765-43210", "9876543210", "(+91) 9876543210"])
def test_phone_numbers_normalise(phone: str) -> None:
    assert normalise_phone(phone) == "9876543210"
