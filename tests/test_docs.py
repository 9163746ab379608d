"""Docs cannot drift from the code: generated pages match, and every setting has help."""

from __future__ import annotations

from pathlib import Path

from safer77.config import Settings
from safer77.docs import PAGES
from safer77.metrics.registry import METRICS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_generated_pages_are_current() -> None:
    for name, render in PAGES.items():
        text = render()
        expected = text if text.endswith("\n") else text + "\n"
        assert (DOCS / name).read_text() == expected, (
            f"docs/{name} is stale: run `python -m safer77.docs`"
        )


def test_every_setting_and_metric_is_described() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no help line"
    for m in METRICS.values():
        assert m.description and m.unit and m.grain
        assert m.sql().strip()
        assert m.definition in ("none", "arrest_rate_proxy", "ucr_clearance")


def test_every_command_and_option_has_help() -> None:
    import typer

    from safer77.cli import app
    from safer77.docs import walk_commands

    seen = 0
    for path, cmd in walk_commands(typer.main.get_command(app), "safer77"):
        assert (cmd.help or "").strip(), f"`{path}` has no help text"
        for p in cmd.params:
            if p.param_type_name == "option" and not getattr(p, "hidden", False):
                assert (p.help or "").strip(), f"`{path}` option {p.opts} has no help"
        seen += 1
    assert seen > 10
