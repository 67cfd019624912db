"""Working points as trigger studies quote them, checked against a direct count."""

import numpy as np

from hwcodesign.train.metrics import MISTAG_RATES, classification_metrics


def test_efficiency_at_fixed_mistag_matches_a_threshold_scan():
    rng = np.random.default_rng(0)
    n, classes = 4000, ["g", "q", "W"]
    labels = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 1.5 * np.eye(3)[labels]
    m = classification_metrics(logits, labels, classes)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    for i, c in enumerate(classes):
        sig, bkg = probs[labels == i, i], probs[labels != i, i]
        for rate in MISTAG_RATES:
            # the loosest cut whose mistag rate is still <= rate, by brute force over all cuts
            best = max(
                (np.mean(sig >= t) for t in np.unique(probs[:, i]) if np.mean(bkg >= t) <= rate),
                default=0.0,
            )
            assert abs(m.efficiency_at_mistag[c][f"{rate:g}"] - best) < 1e-12, (c, rate)
    assert 0 < m.efficiency_at_mistag["W"]["0.01"] < m.efficiency_at_mistag["W"]["0.1"] < 1
