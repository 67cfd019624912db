"""Deployment: packages for boards (package.py for da4ml designs, finn_package.py for stitched
finn-plus layers), board shells (shells.py), the PYNQ driver (driver.py) and the virtual board
(virtual.py)."""
