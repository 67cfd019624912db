"""Every careless-user case of ``cases.py`` through the real CLI: the exit code, one clear
line (no traceback), and nothing outside the run folder changed."""

from __future__ import annotations

import re
import shutil

import pytest

from .cases import CASES, Case
from .sandbox import Sandbox


@pytest.fixture
def sandbox(tmp_path) -> Sandbox:
    sb = Sandbox(tmp_path)
    sb.write_config()
    sb.runs.mkdir()  # the user's runs folder exists; the run folder inside it may be made
    (tmp_path / "important").mkdir()
    (tmp_path / "important" / "data.txt").write_text("the user's own file")
    return sb


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, sandbox: Sandbox, request):
    if case.needs_run:
        run = request.getfixturevalue("tiny_run")
        shutil.copytree(run.root, sandbox.run_dir, symlinks=True)
    if case.setup is not None:
        case.setup(sandbox)
    if case.edits:
        import yaml

        sandbox.write_config(case.edits, raw=yaml.safe_load(sandbox.cfg.read_text()))
    before = sandbox.snapshot(exclude=(sandbox.root / case.changes,))

    res = sandbox.cli(*case.args)

    shown = f"exit {res.code}\nstdout:\n{res.out[-1500:]}\nstderr:\n{res.err[-3000:]}"
    assert res.code == case.code, shown
    assert re.search(case.message, res.text), f"expected /{case.message}/\n{shown}"
    assert "Traceback" not in res.text, shown
    if case.code == 2:
        lines = res.error_lines()
        assert len(lines) == 1, f"expected one 'error:' line, got {lines}\n{shown}"
        assert re.search(case.message, lines[0]), f"the message must be on the error line\n{shown}"
    after = sandbox.snapshot(exclude=(sandbox.root / case.changes,))
    changed = sorted(set(before.items()) ^ set(after.items()))
    assert not changed, f"files outside {case.changes} changed: {changed[:5]}"


def test_there_are_at_least_60_cases():
    assert len(CASES) >= 60
