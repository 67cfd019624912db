"""Jet datasets: Pythia8 particle-level jets (generated, cached or the committed sample)
and loaders for the public hls4ml LHC jet formats (OpenML table, Zenodo 150-particle HDF5).

All sources are reduced to one raw form before features are computed: per constituent
``kin`` = (pT, E, pT/pT_jet, E/E_jet, d-eta, d-phi) (see ``pythia.KIN_COLUMNS``), pT-ordered
and zero-padded, plus integer labels in ``CLASSES`` order.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..cache import ContentCache, cache_dir
from ..config import JetDataConfig
from ..errors import ConfigError, DataNotFoundError
from ..run import atomic_write_text, hash_json
from . import pythia
from .pythia import CLASSES, KIN_COLUMNS, GeneratorSettings
from .splits import SplitDataset, stratified_split

__all__ = [
    "CLASSES",
    "jet_features",
    "load_jets",
    "generate_jets",
    "check_jet_source",
    "load_pythia_file",
    "load_hls4ml_zenodo",
    "load_hls4ml_openml",
    "SAMPLE_FILE",
    "OPENML_FEATURES",
]

log = logging.getLogger(__name__)

SAMPLE_FILE = Path(__file__).parent / "samples" / "pythia_jets_sample.npz"
OPENML_FEATURES = (
    "zlogz",
    "c1_b0_mmdt",
    "c1_b1_mmdt",
    "c1_b2_mmdt",
    "c2_b1_mmdt",
    "c2_b2_mmdt",
    "d2_b1_mmdt",
    "d2_b2_mmdt",
    "d2_a1_b1_mmdt",
    "d2_a1_b2_mmdt",
    "m2_b1_mmdt",
    "m2_b2_mmdt",
    "n2_b1_mmdt",
    "n2_b2_mmdt",
    "mass_mmdt",
    "multiplicity",
)
_ZENODO_COLUMNS = {
    "pt": "j1_pt",
    "e": "j1_e",
    "ptrel": "j1_ptrel",
    "erel": "j1_erel",
    "deta": "j1_etarel",
    "dphi": "j1_phirel",
}
_CACHE_VERSION = 2


# -- features ------------------------------------------------------------------------
def jet_features(kin: np.ndarray, features: tuple[str, ...]) -> np.ndarray:
    """Per-constituent features from the raw ``kin`` array; padded entries stay 0."""
    col = {name: kin[..., i] for i, name in enumerate(KIN_COLUMNS)}
    real = col["pt"] > 0

    def log(v: np.ndarray) -> np.ndarray:
        return np.where(real, np.log(np.where(real, v, 1.0)), 0.0)

    table = {
        "ptrel": col["ptrel"],
        "erel": col["erel"],
        "deta": col["deta"],
        "dphi": col["dphi"],
        "dr": np.hypot(col["deta"], col["dphi"]),
        "logpt": log(col["pt"]),
        "loge": log(col["e"]),
        "logptrel": log(col["ptrel"]),
        "logerel": log(col["erel"]),
    }
    unknown = [f for f in features if f not in table]
    if unknown:
        raise ConfigError(f"unknown jet features {unknown}; known: {', '.join(table)}")
    return np.stack([table[f] for f in features], axis=-1).astype(np.float32)


# -- the entry point used by the data step ------------------------------------------
def load_jets(cfg: JetDataConfig, on_progress: Callable[[int, int], None] | None = None) -> SplitDataset:
    """Load (or generate) jets as configured and return standardised train/val/test splits.

    Raises:
        DataNotFoundError: a file is missing, or the committed sample is too small.
        MissingDependencyError: generation needs the physics extra.
    """
    if cfg.source == "hls4ml_openml":
        x, labels, names = load_hls4ml_openml(_require(cfg.path, cfg.source))
        x, labels = _take_per_class(x, labels, cfg.jets_per_class, cfg.path)
        split = stratified_split(x, labels, cfg.val_fraction, cfg.test_fraction, cfg.seed).standardised()
        meta = {
            "generator": "hls4ml LHC jet dataset, 16 jet-level features (OpenML 42468)",
            "file": str(cfg.path),
        }
        return split.with_meta(classes=list(CLASSES), source=cfg.source, features=names, **meta)
    if cfg.source == "sample":
        kin, labels, meta = load_pythia_file(SAMPLE_FILE)
        kin, labels = _take_per_class(kin, labels, cfg.jets_per_class, SAMPLE_FILE)
    elif cfg.source == "pythia":
        kin, labels, meta = generate_jets(cfg, on_progress, generator_settings(cfg))
    else:
        kin, labels, meta = load_hls4ml_zenodo(_require(cfg.path, "hls4ml_zenodo"))
        kin, labels = _take_per_class(kin, labels, cfg.jets_per_class, cfg.path)
    if cfg.n_particles > kin.shape[1]:
        raise ConfigError(
            f"data.n_particles={cfg.n_particles} but the {cfg.source} data keep only "
            f"{kin.shape[1]} constituents per jet"
        )
    x = jet_features(kin[:, : cfg.n_particles], cfg.features)
    split = stratified_split(x, labels, cfg.val_fraction, cfg.test_fraction, cfg.seed)
    split = split.standardised(mask_axis=-1)
    meta = {**meta, "source": cfg.source, "features": list(cfg.features), "n_particles": cfg.n_particles}
    return split.with_meta(classes=list(CLASSES), **meta)


def generator_settings(cfg: JetDataConfig) -> GeneratorSettings:
    """The generator's settings from ``data.generator`` (the rest keep their defaults)."""
    return GeneratorSettings(**cfg.generator.model_dump())


def _require(path: Path | None, source: str) -> Path:
    if path is None:
        raise ConfigError(f"data.path is required for data.source '{source}'")
    if not path.exists():
        raise DataNotFoundError(f"data file not found: {path} (data.path for source '{source}')")
    return path


def _take_per_class(kin: np.ndarray, labels: np.ndarray, per_class: int, where) -> tuple:
    idx = []
    for c in range(len(CLASSES)):
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            raise DataNotFoundError(
                f"{where} holds {len(members)} '{CLASSES[c]}' jets, fewer than "
                f"data.jets_per_class={per_class}; lower it or use data.source: pythia"
            )
        idx.append(members[:per_class])
    order = np.sort(np.concatenate(idx))
    return kin[order], labels[order]


# -- Pythia8 generation, cached chunk by chunk -----------------------------------------


def check_jet_source(cfg: JetDataConfig) -> None:
    """Cheap checks of a jet source before any step runs (files, generator, sizes).

    Raises:
        DataNotFoundError, MissingDependencyError, ConfigError: the first problem found.
    """
    if cfg.source == "sample":
        meta = json.loads(SAMPLE_FILE.with_suffix(".json").read_text())
        have = min(meta["counts"].values())
        if cfg.jets_per_class > have:
            raise DataNotFoundError(
                f"the committed sample holds {have} jets per class, fewer than "
                f"data.jets_per_class={cfg.jets_per_class}; lower it or use data.source: pythia"
            )
    elif cfg.source == "pythia":
        pythia.generator_versions()  # raises with the install hint when the extra is missing
        cache = ContentCache(cfg.cache_dir or cache_dir("jets"))
        plan = pythia.chunk_plan(cfg.jets_per_class, cfg.seed, GeneratorSettings())
        todo = sum(
            n for cls, seed, n in plan if cache.lookup(_chunk_key(GeneratorSettings(), cls, seed, n)) is None
        )
        if todo:
            workers = cfg.workers or os.cpu_count() or 1
            minutes = todo / (pythia.JETS_PER_CORE_SECOND * workers) / 60
            log.warning(
                "data: %d jets to generate with Pythia8 on %d processes: about %.0f min "
                "(finished chunks are cached; an interrupted run resumes)",
                todo,
                workers,
                max(1, minutes),
            )
    else:
        _require(cfg.path, cfg.source)


def _chunk_key(settings: GeneratorSettings, cls: str, seed: int, n: int) -> str:
    return hash_json({"v": _CACHE_VERSION, "settings": settings.as_dict(), "chunk": [cls, seed, n]})


def generate_jets(
    cfg: JetDataConfig,
    on_progress: Callable[[int, int], None] | None = None,
    settings: GeneratorSettings | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """(kin, labels, meta) of ``generate_jet_table``."""
    kin, labels, _, meta = generate_jet_table(cfg, on_progress, settings)
    return kin, labels, meta


def generate_jet_table(
    cfg: JetDataConfig,
    on_progress: Callable[[int, int], None] | None = None,
    settings: GeneratorSettings | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Generate ``cfg.jets_per_class`` jets per class on all cores, reusing cached chunks.

    Returns (kin, labels, per-jet table, meta); see ``save_pythia_file`` for the layout.
    Every chunk (``settings.chunk_jets`` jets of one class, with its own seed) is stored in
    the cache as soon as it is finished, so a killed run loses only the chunks in flight
    and a second run resumes. Chunk seeds do not depend on the total, so a smaller request
    is a prefix of a larger one and is served from its chunks. Damaged chunks (truncated
    files) are detected by their manifest and generated again.
    """
    import time

    settings = settings or GeneratorSettings()
    cache = ContentCache(cfg.cache_dir or cache_dir("jets"))
    plan = pythia.chunk_plan(cfg.jets_per_class, cfg.seed, settings)
    keys = [_chunk_key(settings, cls, seed, n) for cls, seed, n in plan]
    todo = [i for i, k in enumerate(keys) if cache.lookup(k) is None]
    workers = cfg.workers or os.cpu_count() or 1
    done = len(plan) - len(todo)
    if on_progress:
        on_progress(done, len(plan))
    t0 = time.perf_counter()
    made = 0
    if todo:
        log.info("generating %d of %d chunks with Pythia8 on %d processes", len(todo), len(plan), workers)
        for i, res in pythia.run_chunks([plan[i] for i in todo], settings, workers, indices=todo):
            cache.get_or_make(keys[i], lambda entry, res=res: np.savez_compressed(entry / "chunk.npz", **res))
            made += plan[i][2]
            done += 1
            if on_progress:
                on_progress(done, len(plan))
    seconds = time.perf_counter() - t0
    kins, labels, jets, events = [], [], [], {c: 0 for c in CLASSES}
    for (cls, _, _), key in zip(plan, keys, strict=True):
        with np.load(cache.entry(key) / "chunk.npz") as f:
            kins.append(f["kin"])
            jets.append(f["jet"])
            events[cls] += int(f["events"])
        labels.append(np.full(len(kins[-1]), CLASSES.index(cls), np.int8))
    rate = made / seconds if made else None
    if made:
        log.info("generated %d jets in %.0f s: %.1f jets/s on %d processes", made, seconds, rate, workers)
    meta = {
        "generator": "Pythia8 particle-level jets (pp, 13 TeV) + FastJet anti-kT",
        "versions": pythia.generator_versions(),
        "seed": cfg.seed,
        "settings": settings.as_dict(),
        "jets_per_class": cfg.jets_per_class,
        "events_per_class": events,
        "generated_now": {"jets": made, "seconds": round(seconds, 1), "jets_per_s": rate, "workers": workers},
    }
    return np.concatenate(kins), np.concatenate(labels).astype(np.int64), np.concatenate(jets), meta


def save_pythia_file(path: Path, kin: np.ndarray, labels: np.ndarray, jets: np.ndarray, meta: dict) -> None:
    """Write jets and their manifest (``<name>.json`` next to the ``.npz``), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    np.savez_compressed(
        tmp,
        kin=kin,
        labels=labels,
        jets=jets,
        classes=np.array(CLASSES),
        kin_columns=np.array(KIN_COLUMNS),
        jet_columns=np.array(pythia.JET_COLUMNS),
    )
    counts = {c: int((labels == i).sum()) for i, c in enumerate(CLASSES)}
    atomic_write_text(path.with_suffix(".json"), json.dumps({**meta, "counts": counts}, indent=2))
    tmp.replace(path)


def load_pythia_file(path: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """Read a file written by ``save_pythia_file``: (kin, labels, manifest + jet table)."""
    if not path.is_file():
        raise DataNotFoundError(f"jet file not found: {path}")
    with np.load(path) as f:
        kin, labels = f["kin"], f["labels"].astype(np.int64)
    manifest = path.with_suffix(".json")
    meta = json.loads(manifest.read_text()) if manifest.is_file() else {}
    return kin, labels, meta


def load_jet_table(path: Path) -> dict[str, np.ndarray]:
    """Per-jet quantities (pT, eta, phi, mass, SoftDrop mass, multiplicity) and labels."""
    with np.load(path) as f:
        table = {name: f["jets"][:, i] for i, name in enumerate(f["jet_columns"])}
        table["label"] = f["labels"].astype(np.int64)
    return table


# -- the public hls4ml formats -------------------------------------------------------
def load_hls4ml_zenodo(path: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """Read hls4ml LHC jet HDF5 files (Zenodo 3602260 layout, ``jetConstituentList``).

    ``path`` is one ``.h5`` file or a folder of them. Columns and labels are found by
    name (``particleFeatureNames``, ``jetFeatureNames`` j_g, j_q, j_w, j_z, j_t).
    """
    import h5py

    files = sorted(path.glob("*.h5")) if path.is_dir() else [path]
    if not files:
        raise DataNotFoundError(f"no .h5 files in {path}")
    kins, labels = [], []
    for f in files:
        if not h5py.is_hdf5(f):
            raise DataNotFoundError(f"{f} is not an HDF5 file (data.path)")
        with h5py.File(f, "r") as h5:
            for key in ("jetConstituentList", "particleFeatureNames", "jets", "jetFeatureNames"):
                if key not in h5:
                    raise DataNotFoundError(f"{f} has no dataset '{key}': not the hls4ml 150p layout")
            pnames = [_text(n) for n in h5["particleFeatureNames"][:]]
            jnames = [_text(n) for n in h5["jetFeatureNames"][:]]
            const = h5["jetConstituentList"][:]
            onehot = h5["jets"][:][:, [jnames.index(f"j_{c.lower()}") for c in CLASSES]]
        cols = [pnames.index(_ZENODO_COLUMNS[k]) for k in KIN_COLUMNS]
        kin = const[:, :, cols].astype(np.float32)
        order = np.argsort(-kin[:, :, 0], axis=1, kind="stable")
        kins.append(np.take_along_axis(kin, order[..., None], axis=1))
        labels.append(np.argmax(onehot, axis=1))
    meta = {
        "generator": "hls4ml LHC jet dataset (150 particles, Zenodo 3602260)",
        "files": [str(f) for f in files],
    }
    return np.concatenate(kins), np.concatenate(labels), meta


def load_hls4ml_openml(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read the 16-feature hls4ml jet table (OpenML 42468) from ARFF or CSV.

    Returns (X of shape (n, 16), labels in CLASSES order, feature names).
    """
    if not path.is_file():
        raise DataNotFoundError(f"OpenML jet table not found: {path}")
    text = path.read_text()
    if text.lstrip().lower().startswith(("@relation", "%")):
        names, rows = _parse_arff(text)
    else:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        names = [n.strip().strip('"') for n in lines[0].split(",")]
        rows = [ln.split(",") for ln in lines[1:]]
    missing = [n for n in (*OPENML_FEATURES, "class") if n not in names]
    if missing:
        raise DataNotFoundError(f"{path} lacks columns {missing}; expected the OpenML 42468 table")
    idx = [names.index(n) for n in OPENML_FEATURES]
    ci = names.index("class")
    lower = [c.lower() for c in CLASSES]
    x = np.array([[float(r[i]) for i in idx] for r in rows], np.float32)
    y = np.array([lower.index(r[ci].strip().strip("'\"").lower()) for r in rows], np.int64)
    return x, y, list(OPENML_FEATURES)


def _parse_arff(text: str) -> tuple[list[str], list[list[str]]]:
    names, rows, in_data = [], [], False
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("%"):
            continue
        if in_data:
            rows.append(s.split(","))
        elif s.lower().startswith("@attribute"):
            names.append(s.split(None, 2)[1].strip("'\""))
        elif s.lower().startswith("@data"):
            in_data = True
    return names, rows


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)
