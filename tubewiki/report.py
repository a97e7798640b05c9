"""What a run did, as Markdown: the same summary for the CLI and Prefect artifacts."""

from __future__ import annotations

from tubewiki.pipeline import RunReport


def run_markdown(report: RunReport) -> str:
    lines = [
        f"# tubewiki {report.kind} run `{report.run_id}`",
        "",
        f"Videos: {', '.join(f'`{v}`' for v in report.videos) or 'none'}",
        "",
        "| note | change | sections |",
        "|---|---|---|",
    ]
    by_path: dict[str, list[str]] = {}
    for section in report.sections:
        by_path.setdefault(section.path, []).append(f"{section.key}: {section.outcome}")
    for path in (*report.created, *report.updated):
        change = "created" if path in report.created else "updated"
        lines.append(f"| `{path}` | {change} | {', '.join(by_path.get(path, []))} |")
    if not report.created and not report.updated:
        lines.append("| (none) | unchanged: every note already up to date | |")
    if report.conflicts:
        lines += ["", "## Conflicts", ""]
        lines += [
            f"- `{c.path}`: you edited the section for `{c.key}`; tubewiki's new version "
            "was written beside it (resolve with `tubewiki resolve`)"
            for c in report.conflicts
        ]
    if report.recovered:
        lines += ["", "Recovered from an interrupted run: " + ", ".join(report.recovered)]
    return "\n".join(lines) + "\n"
