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

    The questionnaire comes from config.toml. `configure_surveys(settings.raw)` hands it
    over; without that call it is read from the config file on first use.
    """

    store: Store
    #: The validated questionnaire, once known (class default: not loaded yet).
    _survey_questions: tuple[surveys.Question, ...] | None = None

    if TYPE_CHECKING:  # provided by DeskService

        @property
        def actor(self) -> Actor: ...

        def now(self) -> datetime: ...

        def _write(self, work: Callable[[Session, Actor], Any]) -> Any: ...

    def configure_surveys(self, raw_config: Mapping[str, Any]) -> None:
        """Use the questionnaire of this config (raises UsageError if it is invalid)."""
        self._survey_questions = surveys.questionnaire_from_config(raw_config)

    def survey_questions(self) -> tuple[surveys.Question, ...]:
        """The questionnaire (from config.toml, else the default)."""
        if self._survey_questions is None:
            from helpdesk_tui.config import Settings

            self._survey_questions = surveys.questionnaire_from_config(Settings.load().raw)
        return self._survey_questions

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
        questions = self.survey_questions()
        view: surveys.SurveyView = self._write(
            lambda s, a: surveys.record_survey(
                s,
                a,
                survey_id,
                outcome,
                consent,
                answers,
                comment,
                questions=questions,
                now=self.now(),
            )
        )
        return view
