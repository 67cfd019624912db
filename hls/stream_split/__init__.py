"""hls/stream_split: see README.md; the specification is reference.py."""
