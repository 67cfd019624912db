"""hls/stream_transpose: see README.md; the specification is reference.py."""
