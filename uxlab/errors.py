"""Errors uxlab raises on purpose.

Every error a user can cause derives from :class:`UxlabError`, so the web layer,
the JSON API and the CLI each translate it once, at their boundary::

    UxlabError
    ├── StudyFileError          a study file cannot be read or is invalid
    ├── NotFoundError           a study, task or participant that does not exist
    │                           (or belongs to another researcher)
    ├── StudyStateError         an action the study's status does not allow
    │   ├── AlreadyFinishedError    a participant link used after finishing
    │   └── LinkExpiredError        a single-use invite past its expiry date
    ├── ConsentRequiredError    answers or task actions sent before consent
    ├── TokenError              a participant or attempt token that is unknown,
    │                           used up or expired
    ├── InvalidAnswerError      an answer out of range or of the wrong type
    ├── NotEnoughDataError      a statistic asked of too few data
    ├── AuditError              an audit script that cannot run
    │   ├── AuditScriptError    the script itself is invalid
    │   └── SiteUnreachableError
    └── ConfigError             a setting uxlab cannot start with
        └── DatabaseError       a database URL that is malformed or unreachable,
                                or a schema that is not current
"""

from __future__ import annotations

__all__ = [
    "AlreadyFinishedError",
    "ConfigError",
    "ConsentRequiredError",
    "DatabaseError",
    "LinkExpiredError",
    "AuditError",
    "AuditScriptError",
    "InvalidAnswerError",
    "NotEnoughDataError",
    "NotFoundError",
    "SiteUnreachableError",
    "StudyFileError",
    "StudyStateError",
    "TokenError",
    "UxlabError",
]


class UxlabError(Exception):
    """Base class of the errors uxlab raises on purpose."""

    #: Short machine-readable code used by the JSON API.
    code = "uxlab_error"
    #: HTTP status used when the error reaches a view.
    status = 400


class StudyFileError(UxlabError):
    """A study file could not be read or does not describe a valid study."""

    code = "invalid_study"

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class NotFoundError(UxlabError):
    """A study, task or participant that does not exist or is not yours."""

    code = "not_found"
    status = 404


class StudyStateError(UxlabError):
    """The study's status does not allow this action (e.g. answering a closed study)."""

    code = "study_closed"
    status = 410


class AlreadyFinishedError(StudyStateError):
    """The link belongs to a participant who has finished the study."""

    code = "already_finished"

    def __init__(self, message: str, *, study_title: str = "") -> None:
        super().__init__(message)
        #: Shown on the page, so people know which study they finished.
        self.study_title = study_title


class LinkExpiredError(StudyStateError):
    """A single-use invite past its expiry date."""

    code = "link_expired"


class ConsentRequiredError(UxlabError):
    """Answers or task actions sent before the participant consented."""

    code = "consent_required"
    status = 403


class SessionLinkRequiredError(UxlabError):
    """A moderated study entered through a link that belongs to no session."""

    code = "session_link_required"
    status = 403


class TokenError(UxlabError):
    """A participant or attempt token that is unknown, used up or expired."""

    code = "bad_token"
    status = 401


class InvalidAnswerError(UxlabError):
    """An answer out of range or of the wrong type."""

    code = "invalid_answer"
    status = 422


class NotEnoughDataError(UxlabError, ValueError):
    """A statistic was asked of a sample too small or degenerate to compute it."""

    code = "not_enough_data"


class AuditError(UxlabError):
    """An audit could not run."""

    code = "audit_error"


class AuditScriptError(AuditError):
    """An audit script is invalid; the message names the line and the field."""

    code = "invalid_audit_script"


class SiteUnreachableError(AuditError):
    """The site an audit targets did not answer."""

    code = "site_unreachable"


class ConfigError(UxlabError):
    """A setting uxlab cannot start with (the CLI exits with status 2)."""

    code = "config_error"
    status = 500


class DatabaseError(ConfigError):
    """A database URL that is malformed or unreachable, or a schema behind."""

    code = "database_error"
