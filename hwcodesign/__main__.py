"""``python -m hwcodesign`` is the ``hwcodesign`` command."""

from .cli import main

main()
