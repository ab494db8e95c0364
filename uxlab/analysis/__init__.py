"""Study results: query a study, hand numpy arrays to :mod:`uxlab.stats`, report.

The service layer behind the results page, the report, the comparison and the
planner.  :func:`load_study_data` reads a study in a handful of column
queries; :func:`summarise` turns those arrays into a frozen
:class:`StudyReport` using only :mod:`uxlab.stats` for the numbers;
:func:`analyse_study` does both.  Nothing here formats text for a page except
the plain-language comparison sentences, which are part of what a comparison
*is*.

Conventions (stated again in every report's methods section):

* Completion: an attempt counts when it has an outcome; only ``success``
  counts as completed (``partial``, ``failure``, ``abandoned``, ``timed_out``
  and ``skipped`` do not).
* Times: server-measured ``ended_at - started_at`` of attempts with an outcome
  other than ``skipped`` and a positive duration.
* Data-quality flags (:data:`QUALITY_RULES`) are computed over every
  participant, excluded or not, so excluding someone never changes who else is
  flagged.
"""

from __future__ import annotations

from uxlab.analysis.compare import (
    Comparison,
    TaskComparison,
    comparable_studies,
    compare_studies,
    compare_variants,
    completion_sentence,
    format_p,
    mean_sentence,
    other_kinds_with_variants,
    time_sentence,
)
from uxlab.analysis.data import StudyData, load_study_data, questionnaire_title
from uxlab.analysis.options import (
    CONFIDENCE_LEVELS,
    AnalysisOptionError,
    parse_confidence_level,
    parse_flag,
)
from uxlab.analysis.planner import PLAN_DEFAULTS, PlanResult, plan_sample_size
from uxlab.analysis.quality import QUALITY_RULES, ParticipantQuality
from uxlab.analysis.summary import (
    COMPLETION_BENCHMARK,
    SEQ_BENCHMARK,
    FunnelStep,
    Overview,
    QuestionnaireResult,
    StudyReport,
    TaskResult,
    analyse_study,
    set_exclusion,
    summarise,
)

__all__ = [
    "COMPLETION_BENCHMARK",
    "CONFIDENCE_LEVELS",
    "PLAN_DEFAULTS",
    "QUALITY_RULES",
    "SEQ_BENCHMARK",
    "AnalysisOptionError",
    "Comparison",
    "FunnelStep",
    "Overview",
    "ParticipantQuality",
    "PlanResult",
    "QuestionnaireResult",
    "StudyData",
    "StudyReport",
    "TaskComparison",
    "TaskResult",
    "analyse_study",
    "comparable_studies",
    "other_kinds_with_variants",
    "compare_studies",
    "compare_variants",
    "completion_sentence",
    "format_p",
    "load_study_data",
    "mean_sentence",
    "parse_confidence_level",
    "parse_flag",
    "plan_sample_size",
    "questionnaire_title",
    "set_exclusion",
    "summarise",
    "time_sentence",
]
