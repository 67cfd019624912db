"""Report schema, assembly from a run folder, and HTML rendering with plots."""

from .build import build_report, load_train_summary
from .html import render_html
from .schema import Report

__all__ = ["Report", "build_report", "load_train_summary", "render_html"]
