"""Discovery and thin wrappers of external tools: one module per program (find, version,
run with a logged, time-limited subprocess, pure report parsers). Nothing here imports
models, training code or ML frameworks."""
