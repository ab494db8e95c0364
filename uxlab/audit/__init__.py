"""Automated UX audits: replay scripted tasks in Chromium and audit each page.

>>> from uxlab.audit import AuditScript
>>> home = {"name": "Home", "steps": [{"goto": "/"}]}
>>> script = AuditScript.model_validate(
...     {"base_url": "http://127.0.0.1:8000", "tasks": [home]}
... )
>>> [v.name for v in script.viewports]
['desktop', 'mobile']
"""

from __future__ import annotations

from uxlab.audit.checks import AXE_VERSION
from uxlab.audit.findings import AuditReport, Finding, Severity
from uxlab.audit.runner import run_audit
from uxlab.audit.script import AuditScript, load_script, parse_script

__all__ = [
    "AXE_VERSION",
    "AuditReport",
    "AuditScript",
    "Finding",
    "Severity",
    "load_script",
    "parse_script",
    "run_audit",
]
