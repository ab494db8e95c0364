"""report.json against its schema, junit.xml structure, self-contained report.html."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from lxml import html as lxml_html

from uxlab.audit import AXE_VERSION, AuditReport, Severity
from uxlab.audit.report import SCHEMA_PATH, SCHEMA_VERSION, write_reports

pytestmark = pytest.mark.browser


def validate(instance: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """The JSON Schema keywords report.schema.json uses, checked by hand."""
    problems: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
        }
        if not any(checks[name](instance) for name in names):
            return [f"{where}: {instance!r} is not of type {names}"]
    if "const" in schema and instance != schema["const"]:
        problems.append(f"{where}: {instance!r} != {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        problems.append(f"{where}: {instance!r} not in {schema['enum']}")
    if "minimum" in schema and instance < schema["minimum"]:
        problems.append(f"{where}: {instance!r} < {schema['minimum']}")
    if "maximum" in schema and instance > schema["maximum"]:
        problems.append(f"{where}: {instance!r} > {schema['maximum']}")
    if "anyOf" in schema and all(validate(instance, s, where) for s in schema["anyOf"]):
        problems.append(f"{where}: matches none of anyOf")
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                problems.append(f"{where}: missing {key!r}")
        properties = schema.get("properties", {})
        for key, value in instance.items():
            if key in properties:
                problems += validate(value, properties[key], f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                problems.append(f"{where}: unexpected {key!r}")
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            problems.append(f"{where}: fewer than {schema['minItems']} items")
        for i, item in enumerate(instance):
            problems += validate(item, schema.get("items", {}), f"{where}[{i}]")
    return problems


SCHEMA = json.loads(SCHEMA_PATH.read_text())


def test_schema_is_versioned_and_strict() -> None:
    assert SCHEMA["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert SCHEMA["additionalProperties"] is False
    # the hand validator catches what it should
    assert validate({"schema_version": "0.9"}, SCHEMA)


@pytest.fixture(scope="module")
def faulty_dir(
    faulty_report: AuditReport, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("faulty-report")
    write_reports(faulty_report, out)
    return out


@pytest.fixture(scope="module")
def storefront_dir(
    storefront_report: AuditReport, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("storefront-report")
    write_reports(storefront_report, out)
    return out


@pytest.mark.parametrize("name", ["faulty_dir", "storefront_dir"])
def test_report_json_matches_schema(name: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(name)
    data = json.loads((out / "report.json").read_text())
    assert validate(data, SCHEMA) == []
    assert data["tool"]["axe_core"] == AXE_VERSION
    for shot in [s["screenshot"] for t in data["tasks"] for s in t["steps"]] + [
        p["screenshot"] for p in data["pages"]
    ]:
        if shot is not None:
            assert (out / shot).is_file()


def test_report_json_content(faulty_dir: Path, faulty_report: AuditReport) -> None:
    data = json.loads((faulty_dir / "report.json").read_text())
    summary = data["summary"]
    assert summary["passed"] is False and summary["exit_code"] == 1
    assert summary["issues"] == faulty_report.severity_counts()
    assert sum(summary["issues"].values()) == len(data["issues"])
    assert summary["findings"] == len(data["findings"])
    assert sum(issue["count"] for issue in data["issues"]) == len(data["findings"])
    # the accessibility thresholds count the same issues the summary does
    actual = {t["name"]: t["actual"] for t in data["thresholds"]}
    for severity in ("critical", "serious"):
        axe = [
            i
            for i in data["issues"]
            if i["severity"] == severity and i["check"] in ("accessibility", "keyboard")
        ]
        assert actual[f"accessibility.{severity}"] == len(axe)
    # the missing alt text of the logo, at both viewports, is one issue
    (alt,) = [i for i in data["issues"] if i["rule"] == "image-alt"]
    assert alt["count"] == 2 and alt["viewports"] == ["desktop", "mobile"]
    assert alt["wcag"] == ["1.1.1"]
    assert alt["snippet"].startswith('<img src="/logo.svg"')
    # one picture per issue: the logo outlined, a JPEG next to the report
    assert alt["screenshot"].startswith("screenshots/")
    assert (faulty_dir / alt["screenshot"]).read_bytes().startswith(b"\xff\xd8\xff")
    pictured = [f for f in data["findings"] if f["rule"] == "image-alt"]
    assert sum(f["screenshot"] is not None for f in pictured) == 1
    assert summary["failed_thresholds"] == [
        "task_success",
        "accessibility.critical",
        "accessibility.serious",
        "performance.lcp_ms",
    ]
    failed = [t for t in data["tasks"] if not t["success"]]
    assert {t["name"] for t in failed} == {"Check out"}
    assert all(t["failed_step"] == 1 for t in failed)
    assert sum(p["findings"] for p in data["pages"]) == len(data["findings"])


def test_junit_xml(faulty_dir: Path, faulty_report: AuditReport) -> None:
    root = etree.parse(str(faulty_dir / "junit.xml")).getroot()
    assert root.tag == "testsuites"
    tasks, issues, thresholds = root.findall("testsuite")
    assert tasks.get("name") == "tasks" and thresholds.get("name") == "thresholds"
    assert issues.get("name") == "issues"
    issue_cases = issues.findall("testcase")
    assert len(issue_cases) == len(faulty_report.issues)
    alt = next(c for c in issue_cases if c.get("name", "").startswith("image-alt"))
    # named by selector and page; fails, as accessibility.critical does not hold
    assert alt.get("name") == f"image-alt: img on {faulty_report.pages[0].url}"
    assert alt.find("failure") is not None
    failing_issues = int(issues.get("failures", ""))
    assert failing_issues == len(
        [c for c in issue_cases if c.find("failure") is not None]
    )
    task_cases = tasks.findall("testcase")
    assert len(task_cases) == 6 == int(tasks.get("tests", ""))
    assert int(tasks.get("failures", "")) == 2
    failed = [c for c in task_cases if c.find("failure") is not None]
    assert sorted(c.get("name") for c in failed) == [
        "Check out [desktop]",
        "Check out [mobile]",
    ]
    message = failed[0].find("failure").get("message")  # type: ignore[union-attr]
    assert message.startswith('step 2 (click role=button "Checkout")')
    threshold_cases = thresholds.findall("testcase")
    assert len(threshold_cases) == len(faulty_report.thresholds)
    assert int(thresholds.get("failures", "")) == 4
    assert int(root.get("tests", "")) == 6 + len(issue_cases) + len(
        faulty_report.thresholds
    )
    assert int(root.get("failures", "")) == 6 + failing_issues
    for case in task_cases + issue_cases + threshold_cases:
        assert case.get("classname") and case.get("name")
        float(case.get("time", ""))


def test_junit_xml_all_passing(storefront_dir: Path) -> None:
    root = etree.parse(str(storefront_dir / "junit.xml")).getroot()
    assert root.get("failures") == "0"
    assert root.findall(".//failure") == []


def test_report_html_opens_with_verdict_then_issues(
    faulty_dir: Path, faulty_report: AuditReport
) -> None:
    text = (faulty_dir / "report.html").read_text()
    doc = lxml_html.fromstring(text)
    # no scripts, no external stylesheet; screenshots are linked files
    assert doc.xpath("//script") == []
    assert doc.xpath("//link[@rel='stylesheet']") == []
    assert "base64" not in text
    for src in doc.xpath("//img/@src") + doc.xpath("//a/@href"):
        if src.startswith("screenshots/"):
            assert (faulty_dir / src).is_file()
    main = doc.xpath("//main")[0]
    blocks = [el for el in main if el.tag in ("div", "section", "h1", "p")]
    assert "verdict" in blocks[2].get("class", "")
    headings = [h.text_content() for h in doc.xpath("//h2")]
    assert headings == ["Issues", "Tasks and thresholds", "Pages"]
    assert f"axe-core {AXE_VERSION}" in text
    assert "Failed." in text and "accessibility.critical" in text
    articles = doc.xpath("//article[@class='issue']")
    assert len(articles) == len(faulty_report.issues)
    # worst first
    ranks = [Severity(a.get("data-sev")).rank for a in articles]
    assert ranks == sorted(ranks)
    # each issue about one element shows it outlined, whatever its severity
    pictured = {
        issue.id
        for issue in faulty_report.issues
        if issue.selector and ", " not in issue.selector
    }
    lesser = [
        a
        for a in articles
        if a.get("id")[len("issue-") :] in pictured
        and a.get("data-sev") in ("moderate", "minor")
    ]
    assert len(lesser) == 3
    for article in lesser:
        (src,) = article.xpath(".//img[@class='shot']/@src")
        assert (faulty_dir / src).read_bytes().startswith(b"\xff\xd8\xff")
    alt = next(a for a in articles if "image-alt" in a.text_content())
    assert '<img src="/logo.svg"' in alt.xpath(".//pre")[0].text_content()
    assert "WCAG 1.1.1" in alt.text_content()
    assert alt.xpath(".//a[text()='How to fix']/@href")[0].startswith("https://")
    # tasks and pages come collapsed, after the issues
    assert doc.xpath("//section[@aria-labelledby='pages']/details[not(@open)]")


def test_report_html_passing(storefront_dir: Path) -> None:
    text = (storefront_dir / "report.html").read_text()
    assert "Passed." in text and "No open issues." in text


def test_passing_report_with_findings_says_they_are_not_gated(
    tmp_path: Path, storefront_report: AuditReport, faulty_report: AuditReport
) -> None:
    import dataclasses

    # Every threshold holds, yet findings exist: the verdict must not read as
    # if the pages were clean.
    report = dataclasses.replace(storefront_report, findings=faulty_report.findings[:2])
    assert report.passed
    write_reports(report, tmp_path)
    text = (tmp_path / "report.html").read_text()
    assert "Passed." in text
    # the two findings are the logo's missing alt text at both viewports
    assert len(report.open_issues) == 1
    assert "The 1 issue below is not held to a threshold" in text
    clean = tmp_path / "clean"
    write_reports(storefront_report, clean)
    assert "not held to a threshold" not in (clean / "report.html").read_text()
