"""Words of the English schedule grammar and the regular expressions built from them."""

from __future__ import annotations

import re

_UNITS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90}
NUMBER_WORDS: dict[str, int] = {"a": 1, "an": 1, "single": 1} | {
    w: i for i, w in enumerate(_UNITS, start=1)
}
NUMBER_WORDS |= _TENS
NUMBER_WORDS |= {f"{t}-{u}": v + i for t, v in _TENS.items() for i, u in enumerate(_UNITS[:9], 1)}

_ORDINAL_UNITS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
ORDINAL_WORDS: dict[str, int] = {w: i for i, w in enumerate(_ORDINAL_UNITS, start=1)}
ORDINAL_WORDS |= {"twentieth": 20, "thirtieth": 30, "last": -1}
ORDINAL_WORDS |= {f"twenty-{w}": 20 + i for i, w in enumerate(_ORDINAL_UNITS[:9], start=1)}
ORDINAL_WORDS |= {"thirty-first": 31}

WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
MONTH_INDEX = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}

WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
)
WEEKDAY_PLURAL = WEEKDAY + r"s?"
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
NUMBER = r"(?:\d+|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + ")"
ORDINAL = (
    r"(?:\d{1,2}(?:st|nd|rd|th)?|"
    + "|".join(sorted(map(re.escape, ORDINAL_WORDS), key=len, reverse=True))
    + ")"
)
# Listed items are joined by a comma, 'and', '&' or 'or', never by a space alone, so a
# stray number next to a day is not read as another day.
LIST_SEPARATOR = r"(?:\s*(?:,\s*(?:and\s+)?|\band\b|&|\bor\b)\s*)"
EVERY = r"(?:every|each)"
PART_OF_DAY = r"(?:morning|afternoon|evening|night)"


def number_value(word: str) -> int:
    """'3' -> 3, 'three' -> 3, 'an' -> 1, 'other' -> 2."""
    if word == "other":
        return 2
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def ordinal_value(word: str) -> int:
    """'3rd' -> 3, 'third' -> 3, '3' -> 3, 'last' -> -1."""
    digits = re.match(r"^(\d+)", word)
    if digits:
        return int(digits.group(1))
    return ORDINAL_WORDS[word]


def weekday_value(word: str) -> int:
    return WEEKDAY_INDEX[word[:3]]


def month_value(word: str) -> int:
    return MONTH_INDEX[word[:3]]
