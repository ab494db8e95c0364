"""What changed between two runs of a project, and whether it is a regression.

Findings are matched on rule, page and element selector (their text may
change from one axe-core version to the next, what they point at does not).
Tasks are matched on name and viewport, performance figures on page and
viewport; a figure counts as worse when it grew by more than the project's
``perf_regression_pct``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from uxlab.models import AuditProject, AuditProjectRun, AuditRunFinding, RunStatus

__all__ = [
    "PERF_FIGURES",
    "FindingKey",
    "PerfChange",
    "RunDiff",
    "baseline_for",
    "diff_runs",
]

#: Figures compared between runs: all "lower is better".
PERF_FIGURES: tuple[str, ...] = ("lcp_ms", "fcp_ms", "ttfb_ms", "cls", "load_ms")
#: Severities whose new findings make a run a regression.
_ALARMING = frozenset({"critical", "serious"})
#: Below these, a figure's change is noise and never a regression.
_FLOOR = {
    "lcp_ms": 100.0,
    "fcp_ms": 100.0,
    "ttfb_ms": 50.0,
    "cls": 0.01,
    "load_ms": 100.0,
}


@dataclass(frozen=True, slots=True, order=True)
class FindingKey:
    rule: str
    page: str
    selector: str
    severity: str = field(compare=False)
    message: str = field(compare=False)


@dataclass(frozen=True, slots=True)
class PerfChange:
    page: str
    viewport: str
    figure: str
    before: float
    after: float

    @property
    def percent(self) -> float:
        return (self.after - self.before) / self.before * 100 if self.before else 0.0


@dataclass(frozen=True, slots=True)
class RunDiff:
    run_id: int
    baseline_id: int | None
    new: tuple[FindingKey, ...]
    fixed: tuple[FindingKey, ...]
    unchanged: tuple[FindingKey, ...]
    tasks_newly_failing: tuple[str, ...]
    thresholds_newly_failed: tuple[str, ...]
    perf_worse: tuple[PerfChange, ...]
    perf_regression_pct: float

    @property
    def new_alarming(self) -> tuple[FindingKey, ...]:
        return tuple(f for f in self.new if f.severity in _ALARMING)

    @property
    def regression(self) -> bool:
        """A threshold newly failed, a task newly failing or new serious findings.

        A project's first run has nothing to regress from.
        """
        return self.baseline_id is not None and bool(
            self.thresholds_newly_failed
            or self.tasks_newly_failing
            or self.new_alarming
        )

    def summary_line(self) -> str:
        """One line saying what regressed (or that nothing did)."""
        parts = []
        if self.thresholds_newly_failed:
            parts.append(
                "thresholds newly failed: " + ", ".join(self.thresholds_newly_failed)
            )
        if self.tasks_newly_failing:
            parts.append("tasks newly failing: " + ", ".join(self.tasks_newly_failing))
        if self.new_alarming:
            parts.append(f"{len(self.new_alarming)} new critical or serious findings")
        if self.perf_worse:
            parts.append(f"{len(self.perf_worse)} performance figures worse")
        return "; ".join(parts) if parts else "no regression"

    def to_dict(self) -> dict[str, Any]:
        def finding(f: FindingKey) -> dict[str, Any]:
            return {
                "rule": f.rule,
                "page": f.page,
                "selector": f.selector or None,
                "severity": f.severity,
                "message": f.message,
            }

        return {
            "run": self.run_id,
            "baseline": self.baseline_id,
            "regression": self.regression,
            "summary": self.summary_line(),
            "findings": {
                "new": [finding(f) for f in self.new],
                "fixed": [finding(f) for f in self.fixed],
                "unchanged": len(self.unchanged),
            },
            "tasks_newly_failing": list(self.tasks_newly_failing),
            "thresholds_newly_failed": list(self.thresholds_newly_failed),
            "perf_worse": [
                {
                    "page": p.page,
                    "viewport": p.viewport,
                    "figure": p.figure,
                    "before": p.before,
                    "after": p.after,
                    "percent": round(p.percent, 1),
                }
                for p in self.perf_worse
            ],
            "perf_regression_pct": self.perf_regression_pct,
        }


def baseline_for(db: Session, run: AuditProjectRun) -> AuditProjectRun | None:
    """The project's last finished run (passed or failed) before ``run``."""
    return db.exec(
        select(AuditProjectRun)
        .where(
            AuditProjectRun.project_id == run.project_id,
            col(AuditProjectRun.id) < (run.id or 0),
            col(AuditProjectRun.status).in_([RunStatus.passed, RunStatus.failed]),
        )
        .order_by(col(AuditProjectRun.id).desc())
    ).first()


def _findings(
    db: Session, run_id: int | None
) -> dict[tuple[str, str, str], FindingKey]:
    found: dict[tuple[str, str, str], FindingKey] = {}
    for row in db.exec(
        select(AuditRunFinding).where(AuditRunFinding.run_id == run_id)
    ).all():
        key = FindingKey(
            row.rule, row.page, row.selector or "", row.severity, row.message
        )
        found.setdefault((key.rule, key.page, key.selector), key)
    return found


def _failing_tasks(results: dict[str, Any]) -> set[str]:
    return {
        f"{t['name']} ({t['viewport']})"
        for t in results.get("tasks", [])
        if not t.get("success")
    }


def _failed_thresholds(results: dict[str, Any]) -> set[str]:
    return set(results.get("summary", {}).get("failed_thresholds", []))


def _perf(results: dict[str, Any]) -> dict[tuple[str, str, str], float]:
    figures: dict[tuple[str, str, str], float] = {}
    for page in results.get("pages", []):
        perf = page.get("perf") or {}
        for name in PERF_FIGURES:
            value = perf.get(name)
            if isinstance(value, int | float):
                figures[(page["url"], page["viewport"], name)] = float(value)
    return figures


def diff_runs(
    db: Session,
    project: AuditProject,
    run: AuditProjectRun,
    baseline: AuditProjectRun | None,
) -> RunDiff:
    """Compare ``run`` with ``baseline`` (None: everything in ``run`` is new)."""
    pct = float(project.thresholds.get("perf_regression_pct", 20))
    now = _findings(db, run.id)
    before = _findings(db, baseline.id) if baseline is not None else {}
    base_results = baseline.results if baseline is not None else {}
    worse = []
    old_perf = _perf(base_results)
    for key, after in sorted(_perf(run.results).items()):
        prior = old_perf.get(key)
        if prior is None:
            continue
        grew = after - prior
        if grew > _FLOOR[key[2]] and after > prior * (1 + pct / 100):
            worse.append(PerfChange(key[0], key[1], key[2], prior, after))
    return RunDiff(
        run_id=run.id or 0,
        baseline_id=baseline.id if baseline is not None else None,
        new=tuple(sorted(v for k, v in now.items() if k not in before)),
        fixed=tuple(sorted(v for k, v in before.items() if k not in now)),
        unchanged=tuple(sorted(v for k, v in now.items() if k in before)),
        tasks_newly_failing=tuple(
            sorted(_failing_tasks(run.results) - _failing_tasks(base_results))
        )
        if baseline is not None
        else (),
        thresholds_newly_failed=tuple(
            sorted(_failed_thresholds(run.results) - _failed_thresholds(base_results))
        )
        if baseline is not None
        else (),
        perf_worse=tuple(worse),
        perf_regression_pct=pct,
    )
