"""The normal form of a name, for exact-match search through blind indexes.

A victim's name reaches the system spelt in Devanagari by one agency, in Bengali by another and in
Latin letters by a third. Before hashing, each spelling is brought to one form:

1. Indic scripts are transliterated to ISO 15919 (``indic-transliteration``), word by word.
2. A word transliterated from an Indic script loses its final inherent ``a`` (राम, ``rāma``, is
   said and written in Latin as "Ram"); an explicit long vowel (सुनीता, ``sunītā``) stays. Letters
   that ISO writes with a mark where common Latin spelling writes two letters are spelt the common
   way (``ISO_TO_LATIN``: ś and ṣ as "sh", c as "ch", r̥ as "ri", anusvara as "n" or "m").
3. Unicode is decomposed and every combining mark dropped (diacritics, the nukta): ``ā`` -> ``a``.
4. Lower case; anything but letters becomes a space; spaces are collapsed.
5. A small set of spelling folds common in Indian names written in Latin letters (``FOLDS``).

Pairs that match and pairs that must not are listed in the README and tested.
"""

from __future__ import annotations

import re
import unicodedata

from indic_transliteration import sanscript
from indic_transliteration.sanscript import transliterate

# Unicode block -> sanscript scheme, for the scripts names of Indian victims are written in.
_SCRIPTS: list[tuple[int, int, str]] = [
    (0x0900, 0x097F, sanscript.DEVANAGARI),
    (0x0980, 0x09FF, sanscript.BENGALI),
    (0x0A00, 0x0A7F, sanscript.GURMUKHI),
    (0x0A80, 0x0AFF, sanscript.GUJARATI),
    (0x0B00, 0x0B7F, sanscript.ORIYA),
    (0x0B80, 0x0BFF, sanscript.TAMIL),
    (0x0C00, 0x0C7F, sanscript.TELUGU),
    (0x0C80, 0x0CFF, sanscript.KANNADA),
    (0x0D00, 0x0D7F, sanscript.MALAYALAM),
]

# Applied in order, to whole normalised strings. Each pair is a spelling variation, not a sound
# change: Pooja/Puja, Sangeeta/Sangita, Aarti/Arti, Vijay/Wijay, Shanti/Santi stay distinct.
FOLDS: list[tuple[str, str]] = [
    ("oo", "u"),
    ("ee", "i"),
    ("aa", "a"),
    ("w", "v"),
]

# ISO 15919 -> the usual Latin spelling of Indian names (transliterated words only, in one pass).
ISO_TO_LATIN: dict[str, str] = {
    "ch": "chh",  # छ (Chhaya)
    "c": "ch",  # च (Chanda)
    "ś": "sh",  # श (Shanti)
    "ṣ": "sh",  # ष (Lakshmi)
    "r̥": "ri",  # ऋ (Krishna)
}
_ISO_LETTERS = re.compile("|".join(re.escape(k) for k in sorted(ISO_TO_LATIN, key=len, reverse=True)))
_ANUSVARA_LABIAL = re.compile(r"ṁ(?=[pbm])")

_NON_LETTERS = re.compile(r"[^a-z]+")


def _script_of(word: str) -> str | None:
    for char in word:
        code = ord(char)
        for low, high, scheme in _SCRIPTS:
            if low <= code <= high:
                return scheme
    return None


def _romanise(word: str) -> str:
    scheme = _script_of(word)
    if scheme is None:
        return word
    latin = unicodedata.normalize("NFC", str(transliterate(word, scheme, sanscript.ISO)))
    # ISO 15919 writes the inherent vowel as a short "a"; a word-final one is not pronounced.
    if latin.endswith("a") and len(latin) > 1:
        latin = latin[:-1]
    latin = _ISO_LETTERS.sub(lambda m: ISO_TO_LATIN[m.group()], latin)
    latin = _ANUSVARA_LABIAL.sub("m", latin)
    return latin.replace("ṁ", "n").replace("ṅ", "n").replace("ñ", "n")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_name(name: str) -> str:
    """The comparable form of a name; empty if nothing letter-like is left."""
    words = [_romanise(word) for word in unicodedata.normalize("NFC", name).split()]
    text = _NON_LETTERS.sub(" ", _strip_marks(" ".join(words)).lower()).strip()
    for before, after in FOLDS:
        text = text.replace(before, after)
    return " ".join(text.split())


def normalise_phone(phone: str) -> str:
    """Digits only, without India's country code or a trunk zero: +91 98xxx, 098xxx, 98xxx match."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    return digits
