"""The closed sets of values the records use, one enum each. Flask-free.

The database stores each as its value, the forms offer them (with labels of their own),
the API models accept and document exactly these, so a new value is added here once.
"""

from __future__ import annotations

from enum import StrEnum

# The years a date may fall in, at every door: a date far outside them is a typing slip,
# and one near the calendar's ends would overflow the arithmetic on it.
PLAUSIBLE_YEARS = (1900, 2200)


class Region(StrEnum):
    CERVICAL = "cervical"
    THORACIC = "thoracic"
    LUMBAR = "lumbar"


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class Scoring(StrEnum):
    """How a bilateral block is scored: one pain, or left and right apart."""

    ONE = "one"
    SIDES = "sides"


class Purpose(StrEnum):
    DIAGNOSTIC = "diagnostic"
    THERAPEUTIC = "therapeutic"


class Sequence(StrEnum):
    FIRST = "first"
    SECOND = "second"
    CONFIRMATORY = "confirmatory"


class Agent(StrEnum):
    LIDOCAINE = "lidocaine"
    BUPIVACAINE = "bupivacaine"
    ROPIVACAINE = "ropivacaine"
    OTHER = "other"


class Sedation(StrEnum):
    NONE = "none"
    MINIMAL = "minimal"
    MODERATE = "moderate"


class Role(StrEnum):
    CLINICIAN = "clinician"
    ADMIN = "admin"


class SideEffect(StrEnum):
    """What a patient may report beside a score: the staff look at each one."""

    NUMBNESS = "numbness"
    WEAKNESS = "weakness"
    HEADACHE = "headache"
    INJECTION_SITE_PAIN = "injection_site_pain"
    OTHER = "other"


class EntrySource(StrEnum):
    PATIENT = "patient"
    TRANSCRIBED = "transcribed"


class Language(StrEnum):
    ENGLISH = "en"
    SPANISH = "es"


def N_(message: str) -> str:
    """Marks a message for translation where it is shown (the patient pages)."""
    return message


# Patient Global Impression of Change (Guy 1976), stored as its number 1 to 7. These are
# the words the patient taps (translated on the patient pages); the clinic's pages and the
# research files name each answer with the same words.
PGIC_WORDS = {
    1: N_("Very much better"),
    2: N_("Much better"),
    3: N_("A little better"),
    4: N_("No change"),
    5: N_("A little worse"),
    6: N_("Much worse"),
    7: N_("Very much worse"),
}
