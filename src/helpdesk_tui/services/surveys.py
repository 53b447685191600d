"""Satisfaction callbacks per the service agreement (DESIGN §2 item 5, issue 6 part 5).

The flow: a supervisor plans surveys (`add_plan`: sampling rate, delay after closure,
method, scope); `schedule_surveys` samples freshly closed tickets into surveys due at
closure + delay; `callbacks_due` is "whom to call today"; an agent records each call
with `record_survey` (consent, 1-5 scores on the configured questionnaire, comment,
outcome); a score <= 2 opens an improvement item for the supervisor; `survey_results`
summarises the answers for reports.

The code lives in four modules, re-exported here so `from helpdesk_tui.services.surveys
import X` keeps working: `survey_questions` (the questionnaire, desk policy in the
database), `survey_plans` (plans), `survey_schedule` (sampling and the callbacks-due
list) and `survey_outcomes` (recording a callback, improvement items, results).
"""

from __future__ import annotations

from helpdesk_tui.services.survey_outcomes import (
    IMPROVEMENT_STATUSES,
    MAX_COMMENT,
    OUTCOMES,
    SURVEY_STATUSES,
    ImprovementView,
    SurveyView,
    close_improvement,
    get_survey,
    list_improvements,
    list_surveys,
    record_survey,
    survey_results,
)
from helpdesk_tui.services.survey_plans import (
    METHODS,
    PlanView,
    add_plan,
    list_plans,
    parse_delay,
    set_plan_active,
)
from helpdesk_tui.services.survey_questions import (
    DEFAULT_QUESTIONS,
    LOW_SCORE,
    MAX_SCORE,
    MIN_SCORE,
    Question,
    load_questionnaire,
    parse_answers,
    parse_question_args,
    set_questionnaire,
    validate_answers,
)
from helpdesk_tui.services.survey_schedule import (
    SCHEDULE_OVERLAP,
    CallbackRow,
    ScheduleReport,
    callbacks_due,
    desk_timezone,
    end_of_day,
    is_sampled,
    sample_point,
    schedule_surveys,
)

__all__ = [
    "DEFAULT_QUESTIONS",
    "IMPROVEMENT_STATUSES",
    "LOW_SCORE",
    "MAX_COMMENT",
    "MAX_SCORE",
    "METHODS",
    "MIN_SCORE",
    "OUTCOMES",
    "SCHEDULE_OVERLAP",
    "SURVEY_STATUSES",
    "CallbackRow",
    "ImprovementView",
    "PlanView",
    "Question",
    "ScheduleReport",
    "SurveyView",
    "add_plan",
    "callbacks_due",
    "close_improvement",
    "desk_timezone",
    "end_of_day",
    "get_survey",
    "is_sampled",
    "list_improvements",
    "list_plans",
    "list_surveys",
    "load_questionnaire",
    "parse_answers",
    "parse_delay",
    "parse_question_args",
    "record_survey",
    "sample_point",
    "schedule_surveys",
    "set_plan_active",
    "set_questionnaire",
    "survey_results",
    "validate_answers",
]
