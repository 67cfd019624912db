"""hls/stream_concat: see README.md; the specification is reference.py."""
