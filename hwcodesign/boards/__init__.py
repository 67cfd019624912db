"""Boards: what a deployment package targets. One entry per board, each fact with its source;
``target.board`` in a run config picks one and the part follows from it.

The built-in boards are in ``boards/catalogue.py``; adding a board is one
``BOARDS.register(Board(...))`` (there, in your own code, or through the entry-point group
``hwcodesign.boards``). Its ``shell`` names a registered board shell
(``hwcodesign.deploy.shells``: what the package step writes for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..registry import Registry

__all__ = ["Board", "BOARDS"]


@dataclass(frozen=True)
class Board:
    """A board (or a bare part) that a deployment package targets."""

    name: str
    part: str
    family: str  # "Zynq-7000", "Zynq UltraScale+", "Kria K26 SOM", "Alveo", "Virtex UltraScale+"
    shell: str  # a board shell (deploy/shells.py): zynq-ps7, zynq-ps8, alveo-xdma, none (IP core), ...
    dma: str  # axi-dma, xdma, none
    default_clock_mhz: float  # PL clock of the shell when the run's config does not ask for another
    pynq: bool  # runs the driver under PYNQ
    bus_bits: int  # width of the DMA's AXI4-Stream data bus used by the wrapper
    board_part: str | None  # Vivado board part (board files), when one exists
    sources: dict[str, str] = field(default_factory=dict)  # fact -> where it comes from

    def clock_ns(self) -> float:
        return 1000.0 / self.default_clock_mhz


BOARDS: Registry[Board] = Registry("board", builtins=f"{__name__}.catalogue")
