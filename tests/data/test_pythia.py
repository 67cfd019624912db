"""The Pythia8 + FastJet generator (needs the physics extra, which `make test` installs)."""

import numpy as np
import pytest

from hwcodesign.config import JetDataConfig

pytest.importorskip("pythia8mc", reason="physics extra not installed (make physics)")

from hwcodesign.data.jets import generate_jets  # noqa: E402
from hwcodesign.data.pythia import GeneratorSettings, chunk_plan, generate_chunk  # noqa: E402

pytestmark = pytest.mark.physics


def test_chunk_is_deterministic_and_truth_matched():
    s = GeneratorSettings(max_constituents=16)
    a = generate_chunk("W", 12345, 20, s)
    b = generate_chunk("W", 12345, 20, s)
    np.testing.assert_array_equal(a["kin"], b["kin"])
    assert a["jet"].shape == (20, 6)
    assert np.all((a["jet"][:, 0] >= s.jet_pt_min_gev) & (a["jet"][:, 0] <= s.jet_pt_max_gev))
    # W jets: the SoftDrop mass of most of them sits at the W mass (80.4 GeV)
    msd = a["jet"][:, 4]
    assert np.mean((msd > 65) & (msd < 95)) >= 0.5, msd


def test_plan_seeds_do_not_depend_on_size_and_smaller_sets_are_prefixes(tmp_path):
    s = GeneratorSettings(max_constituents=8, chunk_jets=3)
    small = chunk_plan(4, 7, s)
    large = chunk_plan(6, 7, s)
    assert [p[1] for p in small if p[0] == "t"] == [p[1] for p in large if p[0] == "t"]

    cfg = JetDataConfig(
        source="pythia",
        jets_per_class=4,
        seed=7,
        cache_dir=tmp_path,
        workers=2,
        val_fraction=0.45,
        test_fraction=0.45,
    )
    kin4, y4, meta = generate_jets(cfg, settings=s)
    assert np.bincount(y4).tolist() == [4] * 5
    assert meta["versions"]["pythia8mc"]
    assert meta["generated_now"]["jets"] == 20 and meta["generated_now"]["jets_per_s"] > 0
    cfg2 = cfg.model_copy(update={"jets_per_class": 3})
    kin2, y2, meta2 = generate_jets(cfg2, settings=s)  # one chunk of 3 per class: served from the cache
    for c in range(5):
        np.testing.assert_array_equal(kin2[y2 == c], kin4[y4 == c][:3])
    assert meta2["generated_now"]["jets"] == 0


def test_a_truncated_chunk_is_made_again_and_a_killed_run_resumes(tmp_path):
    """Chunks are cached as they finish: damage one, delete another (as if the run had been
    killed before it finished); the next call re-makes just those, with identical jets."""
    s = GeneratorSettings(max_constituents=8, chunk_jets=2)
    cfg = JetDataConfig(
        source="pythia",
        jets_per_class=4,
        seed=3,
        cache_dir=tmp_path,
        workers=2,
        val_fraction=0.45,
        test_fraction=0.45,
    )
    kin, y, _ = generate_jets(cfg, settings=s)
    chunks = sorted(tmp_path.glob("*/chunk.npz"))
    assert len(chunks) == 10  # 5 classes x 2 chunks
    data = chunks[0].read_bytes()
    chunks[0].write_bytes(data[: len(data) // 2])  # truncated
    import shutil

    shutil.rmtree(chunks[1].parent)  # never finished
    kin_again, y_again, meta = generate_jets(cfg, settings=s)
    assert meta["generated_now"]["jets"] == 4  # the two chunks, nothing else
    np.testing.assert_array_equal(kin_again, kin)
    np.testing.assert_array_equal(y_again, y)


def test_pool_workers_end_with_their_parent(tmp_path):
    """kill -9 of the process that drives the generator pool: its workers (each in a chunk of
    minutes) leave within seconds instead of holding the cores as orphans."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "drive.py"
    script.write_text(
        "from hwcodesign.data.pythia import GeneratorSettings, run_chunks\n"
        "if __name__ == '__main__':\n"
        "    plan = [('q', 1, 100000), ('g', 2, 100000)]\n"
        "    for _ in run_chunks(plan, GeneratorSettings(max_constituents=8), workers=2):\n"
        "        pass\n"
    )
    driver = subprocess.Popen([sys.executable, str(script)])

    def pool_workers() -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(driver.pid)], capture_output=True, text=True).stdout
        pids = [int(p) for p in out.split()]
        return [p for p in pids if "resource_tracker" not in open(f"/proc/{p}/cmdline").read()]

    deadline = time.monotonic() + 120
    while len(pool_workers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    workers = pool_workers()
    assert len(workers) == 2, "the pool did not start"
    while not all(_in_pythia(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert all(_in_pythia(p) for p in workers), "the workers never loaded Pythia"
    time.sleep(2)  # generating events now
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.25)
        alive = [p for p in alive if os.path.exists(f"/proc/{p}") and "Z" not in _state(p)]
    assert not alive, f"pool workers {alive} outlived their parent"


def _in_pythia(pid: int) -> bool:
    try:
        return "pythia8" in open(f"/proc/{pid}/maps").read().lower()
    except OSError:
        return False


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
