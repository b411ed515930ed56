"""The questions and their answer scales, in the words the email and the answer page use."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Instrument


@dataclass(frozen=True)
class Choice:
    """One answer on a scale; CSAT's carry a face (emoji of Unicode 6, drawn by every mail
    client and phone; the later slightly smiling faces are missing from many fonts)."""

    score: int
    label: str
    face: str = ""


QUESTIONS: dict[str, str] = {
    Instrument.CSAT: "How satisfied are you with how we handled your request?",
    Instrument.NPS: "How likely are you to recommend the IT service desk to a colleague?",
    Instrument.CES: "The service desk made it easy for me to handle my issue.",
}

SCALES: dict[str, list[Choice]] = {
    Instrument.CSAT: [
        Choice(1, "Very dissatisfied", "\N{ANGRY FACE}"),
        Choice(2, "Dissatisfied", "\N{DISAPPOINTED FACE}"),
        Choice(3, "Neutral", "\N{NEUTRAL FACE}"),
        Choice(4, "Satisfied", "\N{SMILING FACE WITH SMILING EYES}"),
        Choice(5, "Very satisfied", "\N{GRINNING FACE WITH SMILING EYES}"),
    ],
    Instrument.NPS: [
        Choice(
            score, {0: "0, not at all likely", 10: "10, extremely likely"}.get(score, str(score))
        )
        for score in range(11)
    ],
    Instrument.CES: [
        Choice(1, "Strongly disagree"),
        Choice(2, "Disagree"),
        Choice(3, "Somewhat disagree"),
        Choice(4, "Neither agree nor disagree"),
        Choice(5, "Somewhat agree"),
        Choice(6, "Agree"),
        Choice(7, "Strongly agree"),
    ],
}


def label_of(instrument: str, score: int) -> str:
    for choice in SCALES[instrument]:
        if choice.score == score:
            return choice.label
    return str(score)
