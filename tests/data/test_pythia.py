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

    cfg = JetDataConfig(source="pythia", jets_per_class=4, seed=7, cache_dir=tmp_path, workers=2)
    kin4, y4, meta = generate_jets(cfg, settings=s)
    assert np.bincount(y4).tolist() == [4] * 5
    assert meta["versions"]["pythia8mc"]
    cfg2 = cfg.model_copy(update={"jets_per_class": 2})
    kin2, y2, _ = generate_jets(cfg2, settings=s)  # served from the cache of 4 per class
    for c in range(5):
        np.testing.assert_array_equal(kin2[y2 == c], kin4[y4 == c][:2])
    assert len(list(tmp_path.glob("*.npz"))) == 1
