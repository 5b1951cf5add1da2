"""The states of an introduction and the legal moves between them.

    requested ─► introduced ─► meeting ─► cooperation
        │             │           │
        └─► declined ◄┴───────────┘        introduced / meeting ─► no_response

Codes are English (API, database); people read the German labels. ``check_transition``
is the one place that decides whether a change is allowed, and says why not in German.
"""
from __future__ import annotations

from dataclasses import dataclass

REQUESTED, INTRODUCED, MEETING, COOPERATION, DECLINED, NO_RESPONSE = (
    "requested", "introduced", "meeting", "cooperation", "declined", "no_response")
STATES = (REQUESTED, INTRODUCED, MEETING, COOPERATION, DECLINED, NO_RESPONSE)
LABELS = {REQUESTED: "angefragt", INTRODUCED: "vorgestellt", MEETING: "Gespräch vereinbart",
          COOPERATION: "Kooperation / Projekt", DECLINED: "abgelehnt", NO_RESPONSE: "keine Rückmeldung"}
OPEN = (REQUESTED, INTRODUCED, MEETING)
FINAL = (COOPERATION, DECLINED, NO_RESPONSE)
TRANSITIONS = {
    REQUESTED: (INTRODUCED, DECLINED),
    INTRODUCED: (MEETING, DECLINED, NO_RESPONSE),
    MEETING: (COOPERATION, DECLINED, NO_RESPONSE),
}
SIDES = ("seeker", "partner")
ACCEPTED, REFUSED = "accepted", "declined"
ANSWER_LABELS = {None: "noch offen", ACCEPTED: "zugesagt", REFUSED: "abgesagt"}

#: A request's message is short: a few sentences for the manager and the other side.
MAX_MESSAGE_CHARS = 1000
MIN_MESSAGE_CHARS = 10
MAX_NOTE_CHARS = 1000
#: What a cooperation that came of an introduction is called in the known cooperations
#: (the explanation shows it: "Bekannter Partner aus: über Partnerradar vermittelt").
COOPERATION_SOURCE = "partnerradar"
COOPERATION_TITLE = "über Partnerradar vermittelt"


class IntroductionError(ValueError):
    """A request that can't be carried out; the message is German, for people.

    ``status`` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 422, code: str = "unprocessable"):
        super().__init__(message)
        self.status = status
        self.code = code


def label(state: str) -> str:
    return LABELS.get(state, state)


def parse_state(value) -> str:
    """A state code or its German label (as typed in the CLI) -> the code."""
    text = str(value or "").strip()
    if text in STATES:
        return text
    for code, german in LABELS.items():
        if text.casefold() in (german.casefold(), german.split(" /")[0].casefold()):
            return code
    raise IntroductionError(f"Unbekannter Status „{text[:40]}“ (erlaubt: "
                            + ", ".join(f"{c} ({LABELS[c]})" for c in STATES) + ")")


@dataclass(frozen=True)
class Answers:
    seeker: str | None
    partner: str | None

    @property
    def both_accepted(self) -> bool:
        return self.seeker == ACCEPTED and self.partner == ACCEPTED


def check_transition(current: str, target: str, answers: Answers) -> None:
    """Raise ``IntroductionError`` (409) unless ``current`` -> ``target`` is a legal move."""
    if target not in STATES:
        raise IntroductionError(f"Unbekannter Status „{target}“")
    if current in FINAL:
        raise IntroductionError(f"Die Anbahnung ist abgeschlossen („{label(current)}“) und kann nicht mehr "
                                f"geändert werden.", 409, "conflict")
    if target == current:
        raise IntroductionError(f"Die Anbahnung steht bereits auf „{label(current)}“.", 409, "conflict")
    if target not in TRANSITIONS[current]:
        allowed = " oder ".join(f"„{label(s)}“" for s in TRANSITIONS[current])
        raise IntroductionError(f"Von „{label(current)}“ geht es nicht nach „{label(target)}“, nur nach "
                                f"{allowed}.", 409, "conflict")
    if target == MEETING and not answers.both_accepted:
        raise IntroductionError("„Gespräch vereinbart“ geht erst, wenn beide Seiten zugesagt haben.",
                                409, "conflict")


def clean_text(value, field: str, max_chars: int, min_chars: int = 0) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise IntroductionError(f"{field} muss ein Text sein")
    text = " ".join(value.replace("\x00", "").split()) if "\n" not in value else \
        "\n".join(" ".join(line.split()) for line in value.replace("\x00", "").strip().splitlines())
    if len(text) > max_chars:
        raise IntroductionError(f"{field} ist zu lang ({len(text)} Zeichen, höchstens {max_chars}).")
    if len(text) < min_chars:
        raise IntroductionError(f"{field} ist zu kurz: bitte in ein, zwei Sätzen sagen, worum es geht "
                                f"(mindestens {min_chars} Zeichen).")
    return text
