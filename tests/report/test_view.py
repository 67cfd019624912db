"""The Report API: every report.json section under a short key, a clear error for an unknown
one, binomial uncertainties recomputed by hand, resources with coverage and % of the part,
and ``hwcodesign show`` on the suite's tiny run printing its resource rows."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from hwcodesign.errors import ReportSectionError, UserError
from hwcodesign.records import Metric, ResourceTable
from hwcodesign.report.build import efficiency_rows
from hwcodesign.report.schema import Report as ReportSchema
from hwcodesign.report.view import SECTIONS, Report


def _report() -> Report:
    schema = ReportSchema(
        run={"name": "demo", "flow": "keras_hls4ml", "folder": "/x", "created": "now"},
        config={"name": "demo", "target": {"part": "xcvu13p-flga2577-2-e", "clock_ns": 5.0}},
        data={"source": "file", "counts": {"test": {"g": 300, "t": 100}}, "input_shape": [8, 4]},
        accuracy={"quantized": Metric(value=0.75, unit="fraction", n=400, source="keras")},
        auc={"quantized": {"g": 0.9, "t": 0.8}},
        efficiency=efficiency_rows(
            {"quantized": {"efficiency_at_mistag": {"t": {"0.01": 0.2, "0.1": 0.6}}}}, {"g": 300, "t": 100}
        ),
        bit_exactness={"rtl_vs_keras": Metric(value=1.0, unit="fraction", n=400, source="verilator")},
        latency={"latency_cycles": Metric(value=12, unit="cycles", source="verilator")},
        resources={
            "da4ml": ResourceTable(
                kind="estimate",
                counts={"LUT": 4000, "FF": 900, "DSP": 0},
                percent={"LUT": 0.23},
                part="xcvu13p",
            ),
            "yosys": ResourceTable(
                kind="estimate",
                counts={"LUT": 3000, "FF": 700},
                complete=False,
                note="INCOMPLETE: 6 of 18 pipeline stages not synthesised within 60 s",
                part="xcvu13p",
            ),
        },
        layers={
            "Pipeline stages (da4ml estimate, Yosys per stage)": [{"stage": 0, "LUT": 10}],
            "Pipeline stages (Yosys -nodsp, per stage)": [{"stage": 0, "LUT": 12}],
            "Something a plugin wrote: per layer": [{"layer": "a"}],
        },
        notes=["Vivado not on PATH"],
    )
    return Report(schema.model_dump(mode="json"), Path("/x/report"))


def test_every_section_by_its_short_key():
    rep = _report()
    for name in SECTIONS:
        value = getattr(rep, name) if name != "notes" else rep.section("notes")
        assert value is not None, name
    assert rep.accuracy.loc["quantized", "value"] == 0.75
    assert rep.auc.loc["t", "quantized"] == 0.8
    assert list(rep.section("notes")["note"]) == ["Vivado not on PATH"] and rep.notes == [
        "Vivado not on PATH"
    ]
    assert rep.section("data").loc["input_shape", "value"] == [8, 4]
    assert rep.latency.loc["latency_cycles", "value"] == 12
    assert set(rep.layers) == {"stages", "stages_nodsp", "something_a_plugin_wrote"}
    assert rep.table_titles["stages_nodsp"] == "Pipeline stages (Yosys -nodsp, per stage)"
    assert rep.config.loc["target.clock_ns", "value"] == 5.0


def test_unknown_section_is_a_clear_error():
    rep = _report()
    with pytest.raises(ReportSectionError, match=r"no section 'acuracy'; sections: accuracy, auc, "):
        rep.section("acuracy")
    with pytest.raises(UserError, match=r"'Report' has no attribute or section 'acuracy'"):
        rep.acuracy  # noqa: B018
    assert not hasattr(rep, "acuracy")


def test_binomial_uncertainties_recomputed():
    rep = _report()
    assert rep.accuracy.loc["quantized", "uncertainty"] == pytest.approx(math.sqrt(0.75 * 0.25 / 400))
    eff = rep.efficiency.set_index(["class", "mistag"])
    row = eff.loc[("t", 0.1)]
    assert row.efficiency == 0.6 and row.n_signal == 100 and row.n_background == 300
    assert row.uncertainty == pytest.approx(math.sqrt(0.6 * 0.4 / 100))


def test_resources_with_coverage_and_percent():
    rep = _report()
    res = rep.resources
    assert res.loc["da4ml", "coverage"] == "complete" and res.loc["yosys", "coverage"] == "PARTIAL"
    assert res.loc["da4ml", "% LUT"] == 0.23 and res.loc["yosys", "LUT"] == 3000
    rows = [r for r in rep.headline() if r[0] == "resources"]
    assert ("resources", "LUT", "4,000 (0.23% of xcvu13p)", "estimate", "da4ml (whole design)") in rows
    partial = [r for r in rows if r[4].startswith("yosys")]
    assert partial and all("PARTIAL, not the whole design: 6 of 18 pipeline stages" in r[4] for r in partial)
    acc = next(r for r in rep.headline() if r[:2] == ("accuracy", "quantized"))
    assert acc[2] == "75.00% ± 2.17%" and acc[3] == "measured"


def test_repr_names_the_run_and_the_sections():
    text = repr(_report())
    assert text.startswith("Report of run 'demo' (flow keras_hls4ml") and "sections: accuracy, auc" in text
    assert "75.00% ± 2.17%" in text and "1 notes" in text


def test_show_prints_resource_rows(tiny_run):
    cli = Path(sys.executable).with_name("hwcodesign")
    res = subprocess.run(
        [cli, "show", tiny_run.root], capture_output=True, text=True, env={"COLUMNS": "250", "PATH": ""}
    )
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stdout.splitlines() if "resources" in ln]
    assert any("LUT" in ln and "% of xcvu13p" in ln and "da4ml" in ln for ln in lines), res.stdout
    assert any("yosys" in ln for ln in lines) and "estimate" in res.stdout
    assert any("accuracy" in ln and "±" in ln for ln in res.stdout.splitlines())
