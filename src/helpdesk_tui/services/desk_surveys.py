"""The satisfaction-callback part of the TUI's service facade (issue 6 part 5)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from helpdesk_tui.services import surveys
from helpdesk_tui.services.context import Actor
from helpdesk_tui.store.engine import Store


class SurveyDesk:
    """Mixed into DeskService: the callbacks-due list and recording a callback.

    The questionnaire is desk policy in the database, read fresh each time a call is
    recorded (a supervisor may change it while the TUI runs).
    """

    store: Store

    if TYPE_CHECKING:  # provided by DeskService

        @property
        def actor(self) -> Actor: ...

        def now(self) -> datetime: ...

        def _write(self, work: Callable[[Session, Actor], Any]) -> Any: ...

    def survey_questions(self) -> tuple[surveys.Question, ...]:
        """The desk's questionnaire (the default until a supervisor sets one)."""
        with self.store.read() as session:
            return surveys.load_questionnaire(session)

    def schedule_surveys(self) -> list[int]:
        """Plan callbacks for freshly closed tickets; returns the new survey ids."""
        report: surveys.ScheduleReport = self._write(
            lambda s, a: surveys.schedule_surveys(s, self.now(), actor=a)
        )
        return report.created

    def callbacks_due(self) -> list[surveys.CallbackRow]:
        """Whom to call today, oldest first (does not schedule: call schedule_surveys)."""
        with self.store.read() as session:
            return surveys.callbacks_due(session, self.actor, self.now())

    def survey(self, survey_id: int) -> surveys.SurveyView:
        """One survey, with the requester's contact and the ticket title."""
        with self.store.read() as session:
            return surveys.get_survey(session, self.actor, survey_id)

    def record_callback(
        self,
        survey_id: int,
        outcome: str,
        consent: bool,
        answers: Mapping[str, int],
        comment: str = "",
    ) -> surveys.SurveyView:
        """Record how a callback went (Conflict if someone recorded it meanwhile)."""
        view: surveys.SurveyView = self._write(
            lambda s, a: surveys.record_survey(
                s,
                a,
                survey_id,
                outcome,
                consent,
                answers,
                comment,
                now=self.now(),
            )
        )
        return view
