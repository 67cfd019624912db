"""Generate five-class jets (g, q, W, Z, t) with Pythia8 + FastJet.

13 TeV pp collisions, pT-hat window around 1 TeV, anti-kT R=0.8 jets of visible
final-state particles, truth-matched to the hard-process parton or boson (for W, Z, t
all decay quarks must lie inside the jet). Each jet keeps its leading constituents
(pT-ordered) and its SoftDrop mass (beta=0, z_cut=0.1) as a physics check.

Work is cut into chunks of fixed size, each with its own seed derived from the run seed,
so the result does not depend on how many processes ran them. Needs the optional
``physics`` extra (pythia8mc, fastjet; GPL-2+).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import MissingDependencyError

__all__ = ["CLASSES", "GeneratorSettings", "generate_chunk", "chunk_plan", "generator_versions"]

CLASSES = ("g", "q", "W", "Z", "t")
#: Per constituent: pT, E (GeV), pT/pT_jet, E/E_jet, eta - eta_jet, phi - phi_jet.
KIN_COLUMNS = ("pt", "e", "ptrel", "erel", "deta", "dphi")
#: Per jet: pT, eta, phi, mass, SoftDrop mass, number of constituents.
JET_COLUMNS = ("pt", "eta", "phi", "mass", "msd", "n_constituents")
#: Measured generation rate on this project's 2-core machine (docs/findings.md), for estimates.
JETS_PER_CORE_SECOND = 70.0
PHYSICS_INSTALL = "make physics  (or: .venv/bin/pip install --only-binary=:all: pythia8mc fastjet)"

_PROCESS = {
    "g": ["HardQCD:all = on"],
    "q": ["HardQCD:all = on"],
    "W": ["WeakBosonAndParton:qqbar2Wg = on", "WeakBosonAndParton:qg2Wq = on"],
    "Z": ["WeakBosonAndParton:qqbar2gmZg = on", "WeakBosonAndParton:qg2gmZq = on", "WeakZ0:gmZmode = 2"],
    "t": ["Top:gg2ttbar = on", "Top:qqbar2ttbar = on"],
}
_HADRONIC = ["23:onMode = off", "23:onIfAny = 1 2 3 4 5", "24:onMode = off", "24:onIfAny = 1 2 3 4 5"]
_LIGHT_QUARKS = {1, 2, 3, 4}


@dataclass(frozen=True)
class GeneratorSettings:
    """Physics settings; they go into the cache key and the manifest."""

    ecm_gev: float = 13000.0
    pthat_min_gev: float = 900.0
    pthat_max_gev: float = 1100.0
    jet_r: float = 0.8
    jet_pt_min_gev: float = 700.0
    jet_pt_max_gev: float = 1400.0
    jet_abs_eta_max: float = 2.0
    match_dr: float = 0.6
    max_constituents: int = 64
    softdrop_zcut: float = 0.1
    chunk_jets: int = 100

    def as_dict(self) -> dict:
        return asdict(self)


def generator_versions() -> dict[str, str]:
    """Versions of the generator packages (raises MissingDependencyError if absent)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return {"pythia8mc": version("pythia8mc"), "fastjet": version("fastjet")}
    except PackageNotFoundError as e:
        raise MissingDependencyError(e.name or "pythia8mc", "generating jets", PHYSICS_INSTALL) from None


def chunk_plan(jets_per_class: int, seed: int, settings: GeneratorSettings) -> list[tuple[str, int, int]]:
    """(class, chunk seed, jets) for every chunk, in the order results are assembled."""
    plan = []
    for ci, cls in enumerate(CLASSES):
        n_chunks = math.ceil(jets_per_class / settings.chunk_jets)
        for k in range(n_chunks):
            n = min(settings.chunk_jets, jets_per_class - k * settings.chunk_jets)
            chunk_seed = 1 + (seed * 1_000_003 + ci * 100_003 + k) % 899_999_999
            plan.append((cls, chunk_seed, n))
    return plan


def generate_chunk(cls: str, chunk_seed: int, n_jets: int, settings: GeneratorSettings) -> dict:
    """Generate ``n_jets`` truth-matched jets of one class.

    Returns arrays ``kin`` (n, max_constituents, 6; see KIN_COLUMNS, zero-padded),
    ``jet`` (n, 6; see JET_COLUMNS) and the number of events generated.
    """
    try:
        import fastjet
        import pythia8mc
    except ImportError as e:
        raise MissingDependencyError(e.name or "pythia8mc", "generating jets", PHYSICS_INSTALL) from None

    s = settings
    pythia = pythia8mc.Pythia("", False)
    for line in [
        f"Beams:eCM = {s.ecm_gev}",
        f"PhaseSpace:pTHatMin = {s.pthat_min_gev}",
        f"PhaseSpace:pTHatMax = {s.pthat_max_gev}",
        "Random:setSeed = on",
        f"Random:seed = {chunk_seed}",
        "Next:numberCount = 0",
        "Print:quiet = on",
        *_PROCESS[cls],
        *_HADRONIC,
    ]:
        pythia.readString(line)
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise for class {cls}")
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, s.jet_r)
    ca_def = fastjet.JetDefinition(fastjet.cambridge_algorithm, 10.0)

    kin = np.zeros((n_jets, s.max_constituents, len(KIN_COLUMNS)), np.float32)
    jets = np.zeros((n_jets, len(JET_COLUMNS)), np.float32)
    n_found = n_events = 0
    while n_found < n_jets:
        if not pythia.next():
            continue
        n_events += 1
        targets = _truth_targets(pythia.process, cls)
        if not targets:
            continue
        particles = [
            fastjet.PseudoJet(p.px(), p.py(), p.pz(), p.e())
            for p in pythia.event
            if p.isFinal() and p.isVisible()
        ]
        seq = fastjet.ClusterSequence(particles, jet_def)
        for jet in fastjet.sorted_by_pt(seq.inclusive_jets(s.jet_pt_min_gev)):
            if n_found >= n_jets:
                break
            if jet.pt() > s.jet_pt_max_gev or abs(jet.eta()) > s.jet_abs_eta_max:
                continue
            if not _matched(jet, targets, s):
                continue
            consts = jet.constituents()
            kin[n_found] = _constituent_table(jet, consts, s.max_constituents)
            jets[n_found] = (
                jet.pt(),
                jet.eta(),
                jet.phi_std(),
                jet.m(),
                _softdrop_mass(consts, ca_def, s.softdrop_zcut),
                len(consts),
            )
            n_found += 1
    return {"kin": kin, "jet": jets, "events": n_events}


def _truth_targets(process, cls: str) -> list[tuple[float, float, list[tuple[float, float]]]]:
    """(eta, phi, [(eta, phi) of decay quarks]) of the hard objects that define the class."""
    out = []
    for i in range(process.size()):
        p = process[i]
        pid = abs(p.id())
        if cls in ("g", "q") and p.status() == 23 and p.mother1() in (3, 4):
            if (cls == "g" and pid == 21) or (cls == "q" and pid in _LIGHT_QUARKS):
                out.append((p.eta(), p.phi(), []))
        elif (cls, pid) in (("W", 24), ("Z", 23), ("t", 6)) and p.status() == -22:
            out.append((p.eta(), p.phi(), _final_quarks(process, i)))
    return out


def _final_quarks(process, i: int) -> list[tuple[float, float]]:
    """Quarks at the end of the decay chain of process entry ``i`` (t -> b W -> b q q')."""
    quarks, todo = [], [i]
    while todo:
        p = process[todo.pop()]
        d1, d2 = p.daughter1(), p.daughter2()
        if d1 == 0:
            if abs(p.id()) <= 5:
                quarks.append((p.eta(), p.phi()))
            continue
        todo.extend(range(d1, max(d1, d2) + 1))
    return quarks


def _delta_r(eta1: float, phi1: float, eta2: float, phi2: float) -> float:
    dphi = (phi1 - phi2 + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(eta1 - eta2, dphi)


def _matched(jet, targets, s: GeneratorSettings) -> bool:
    eta, phi = jet.eta(), jet.phi_std()
    for t_eta, t_phi, quarks in targets:
        if _delta_r(eta, phi, t_eta, t_phi) < s.match_dr and all(
            _delta_r(eta, phi, q_eta, q_phi) < s.jet_r for q_eta, q_phi in quarks
        ):
            return True
    return False


def _constituent_table(jet, consts, max_n: int) -> np.ndarray:
    consts = sorted(consts, key=lambda c: -c.pt())[:max_n]
    table = np.zeros((max_n, len(KIN_COLUMNS)), np.float32)
    jpt, je, jeta, jphi = jet.pt(), jet.e(), jet.eta(), jet.phi_std()
    for k, c in enumerate(consts):
        dphi = (c.phi_std() - jphi + math.pi) % (2 * math.pi) - math.pi
        table[k] = (c.pt(), c.e(), c.pt() / jpt, c.e() / je, c.eta() - jeta, dphi)
    return table


def _softdrop_mass(consts, ca_def, zcut: float) -> float:
    """SoftDrop (beta=0, i.e. mMDT) groomed mass by C/A declustering."""
    import fastjet

    seq = fastjet.ClusterSequence(list(consts), ca_def)
    jets = seq.exclusive_jets(1)
    if not jets:
        return 0.0
    j = jets[0]
    p1, p2 = fastjet.PseudoJet(), fastjet.PseudoJet()
    while j.has_parents(p1, p2):
        hard, soft = (p1, p2) if p1.pt() >= p2.pt() else (p2, p1)
        if soft.pt() / (hard.pt() + soft.pt()) > zcut:
            break
        j = hard
        p1, p2 = fastjet.PseudoJet(), fastjet.PseudoJet()
    return float(j.m())


def _exit_with_parent(poll_s: float = 0.5) -> None:
    """End this pool worker when the process that started it is gone (``kill -9``): a
    generator chunk can run for minutes, and an orphan would hold a core all that time."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def _quiet_worker() -> None:
    """Send a worker's C++ stdout (Pythia/FastJet banners) to /dev/null; leave Ctrl-C to the
    parent, which stops the pool; never outlive the parent."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    _exit_with_parent()


def _run_chunk(args: tuple[int, str, int, int, GeneratorSettings]) -> tuple[int, dict]:
    index, *rest = args
    return index, generate_chunk(*rest)


def run_chunks(
    plan: list[tuple[str, int, int]],
    settings: GeneratorSettings,
    workers: int,
    indices: list[int] | None = None,
) -> Iterator[tuple[int, dict]]:
    """Generate the chunks of ``plan`` on ``workers`` processes; yields (index, result) as
    each one finishes (``indices`` labels the chunks, default 0..n-1)."""
    import multiprocessing as mp

    generator_versions()  # fail early and clearly when the extra is missing
    labels = indices if indices is not None else list(range(len(plan)))
    jobs = [(i, cls, seed, n, settings) for i, (cls, seed, n) in zip(labels, plan, strict=True)]
    ctx = mp.get_context("spawn")
    with ctx.Pool(max(1, min(workers, len(jobs))), initializer=_quiet_worker) as pool:
        yield from pool.imap_unordered(_run_chunk, jobs)
