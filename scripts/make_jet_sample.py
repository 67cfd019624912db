"""Regenerate the committed jet sample (hwcodesign/data/samples/pythia_jets_sample.npz).

    .venv/bin/python scripts/make_jet_sample.py [--per-class 500] [--seed 2026]

Needs the physics extra (make physics). Deterministic for a fixed seed.
"""

import argparse
import tempfile
from pathlib import Path

from hwcodesign.config import JetDataConfig
from hwcodesign.data.jets import SAMPLE_FILE, generate_jet_table, save_pythia_file
from hwcodesign.data.pythia import GeneratorSettings

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=500)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = JetDataConfig(
            source="pythia", jets_per_class=args.per_class, seed=args.seed, cache_dir=Path(tmp)
        )
        kin, labels, jets, meta = generate_jet_table(
            cfg,
            lambda d, n: print(f"\rchunk {d}/{n}", end="", flush=True),
            settings=GeneratorSettings(max_constituents=32),
        )
        meta.pop("generated_now")
        save_pythia_file(SAMPLE_FILE, kin, labels, jets, meta)
    print(f"\nwrote {SAMPLE_FILE}")
