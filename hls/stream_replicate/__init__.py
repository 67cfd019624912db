"""hls/stream_replicate: see README.md; the specification is reference.py."""
