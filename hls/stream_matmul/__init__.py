"""hls/stream_matmul: see README.md; the specification is reference.py."""
