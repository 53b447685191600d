"""The satisfaction questionnaire (desk policy in the database) and checking answers.

The questions a callback asks are desk-wide: every agent recording a call and every
report must use the same ones, so they live in `desk_setting` (key `survey.questions`),
set by supervisors with `helpdesk survey questions set` (permission `survey.manage`,
audited), not in each user's config.toml as before issue 11. A desk that never set
them uses `DEFAULT_QUESTIONS`. `surveys` re-exports every public name here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from helpdesk_tui.errors import UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.desk_policy import get_value, put_value
from helpdesk_tui.store.models.policy import DeskSetting
from helpdesk_tui.store.types import utcnow

#: The score scale and the threshold at or below which the supervisor must follow up.
MIN_SCORE, MAX_SCORE, LOW_SCORE = 1, 5, 2
#: The `desk_setting` key of the questionnaire.
SETTING_KEY: Final = "survey.questions"
#: A callback is a phone call: more questions than this is a survey nobody finishes.
MAX_QUESTIONS: Final = 20
MAX_QUESTION_TEXT: Final = 300

_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Question:
    """One 1-5 question of the questionnaire."""

    id: str
    text: str


#: The questionnaire of a desk that never set one.
DEFAULT_QUESTIONS: Final[tuple[Question, ...]] = (
    Question("response_time", "How satisfied were you with how quickly we responded?"),
    Question("problem_solving", "How well was your problem solved?"),
    Question("communication", "How well did we keep you informed?"),
    Question("overall", "Overall, how satisfied are you with the service desk?"),
)


def check_questions(
    items: Iterable[tuple[object, object]], where: str = ""
) -> tuple[Question, ...]:
    """(id, text) pairs as a validated questionnaire; one UsageError line per mistake."""
    prefix = f"{where}: " if where else ""
    questions: list[Question] = []
    for n, (qid, text) in enumerate(items, start=1):
        if not isinstance(qid, str) or not _QUESTION_ID.match(qid):
            raise UsageError(
                f"{prefix}question {n}: the id must be a lowercase letter, then lowercase "
                f"letters, digits and _ (at most 40), got {qid!r}"
            )
        if not isinstance(text, str) or not text.strip():
            raise UsageError(f"{prefix}question {n} ({qid}): the text must not be empty")
        if len(text.strip()) > MAX_QUESTION_TEXT:
            raise UsageError(
                f"{prefix}question {n} ({qid}): the text is longer than {MAX_QUESTION_TEXT}"
            )
        if any(q.id == qid for q in questions):
            raise UsageError(f"{prefix}question {n}: duplicate id {qid!r}")
        questions.append(Question(qid, " ".join(text.split())))
    if not questions:
        raise UsageError(f"{prefix}a questionnaire needs at least one question")
    if len(questions) > MAX_QUESTIONS:
        raise UsageError(f"{prefix}at most {MAX_QUESTIONS} questions, got {len(questions)}")
    return tuple(questions)


def load_questionnaire(session: Session) -> tuple[Question, ...]:
    """The desk's questionnaire (the default until a supervisor sets one).

    A stored value that no longer passes the checks (edited by hand in the database)
    gives the default rather than stopping every callback.
    """
    stored = get_value(session, SETTING_KEY)
    if not isinstance(stored, list):
        return DEFAULT_QUESTIONS
    try:
        return check_questions(
            (item.get("id"), item.get("text")) if isinstance(item, dict) else (None, None)
            for item in stored
        )
    except UsageError:
        return DEFAULT_QUESTIONS


def set_questionnaire(
    session: Session,
    actor: Actor,
    questions: Sequence[Question] | None,
    *,
    now: datetime | None = None,
) -> tuple[Question, ...]:
    """Replace the questionnaire (None: back to the default). Permission `survey.manage`.

    Answers already recorded keep their question ids; results still count questions no
    longer asked, under their id.
    """
    actor.require("survey.manage")
    now = now or utcnow()
    before = load_questionnaire(session)
    if questions is None:
        row = session.get(DeskSetting, SETTING_KEY)
        if row is not None:
            session.delete(row)
            session.flush()
        after = DEFAULT_QUESTIONS
    else:
        after = check_questions((q.id, q.text) for q in questions)
        put_value(session, actor, SETTING_KEY, [{"id": q.id, "text": q.text} for q in after])
    record_audit(
        session,
        actor,
        "survey.questions",
        "desk_setting",
        SETTING_KEY,
        {"from": [q.id for q in before], "to": [q.id for q in after]},
        now=now,
    )
    return after


def parse_question_args(items: Iterable[str]) -> tuple[Question, ...]:
    """`["overall=Overall, how satisfied ...?", ...]` (the CLI's ID=TEXT) as questions."""
    pairs: list[tuple[object, object]] = []
    for item in items:
        qid, sep, text = item.partition("=")
        if not sep:
            raise UsageError(f"question {item!r} is not ID=TEXT (e.g. overall='How was it?')")
        pairs.append((qid.strip(), text))
    return check_questions(pairs)


def parse_legacy_questions(raw: Mapping[str, Any]) -> tuple[Question, ...] | None:
    """The `[[survey.question]]` tables of an old config.toml (None if it has none).

    Only `helpdesk policy import` reads this form now.
    """
    section = raw.get("survey")
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise UsageError("[survey] must be a table")
    unknown = sorted(set(section) - {"question"})
    if unknown:
        raise UsageError(f"[survey]: unknown key {unknown[0]!r}; valid: question")
    entries = section.get("question")
    if entries is None:
        return None
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise UsageError("survey questions must be [[survey.question]] tables")
    for n, entry in enumerate(entries, start=1):
        unknown = sorted(set(entry) - {"id", "text"})
        if unknown:
            raise UsageError(
                f"[[survey.question]] {n}: unknown key {unknown[0]!r}; valid: id, text"
            )
    return check_questions(((e.get("id"), e.get("text")) for e in entries), "[[survey.question]]")


# -- answers ----------------------------------------------------------------------------
def parse_answers(items: Iterable[str]) -> dict[str, int]:
    """`["overall=4", "communication=2"]` (the CLI's --answer values) as a dict."""
    answers: dict[str, int] = {}
    for item in items:
        qid, sep, score = item.partition("=")
        qid = qid.strip()
        if not sep or not qid:
            raise UsageError(f"answer {item!r} is not QUESTION=SCORE (e.g. overall=4)")
        try:
            answers[qid] = int(score.strip())
        except ValueError:
            raise UsageError(
                f"score of {qid} must be a whole number {MIN_SCORE}-{MAX_SCORE}"
            ) from None
    return answers


def validate_answers(answers: Mapping[str, int], questions: Sequence[Question]) -> dict[str, int]:
    """Answers checked against the questionnaire: known questions, whole scores 1-5.

    A requester may skip a question, so not every question needs an answer.
    """
    known = [q.id for q in questions]
    checked: dict[str, int] = {}
    for qid, score in answers.items():
        if qid not in known:
            raise invalid_choice("question", qid, known)
        if isinstance(score, bool) or not isinstance(score, int):
            raise UsageError(f"score of {qid} must be a whole number {MIN_SCORE}-{MAX_SCORE}")
        if not MIN_SCORE <= score <= MAX_SCORE:
            raise UsageError(f"score of {qid} must be {MIN_SCORE}-{MAX_SCORE}, got {score}")
        checked[qid] = score
    # Stored in questionnaire order, so JSON output and reports read the same way.
    return {qid: checked[qid] for qid in known if qid in checked}
