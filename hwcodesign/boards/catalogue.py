"""The built-in boards (registered the first time the board registry is read)."""

from . import BOARDS, Board

_HLS4ML = "hls4ml backends/vivado_accelerator/supported_boards.json"
for _b in (
    Board(
        "pynq-z2",
        "xc7z020clg400-1",
        "Zynq-7000",
        "zynq-ps7",
        "axi-dma",
        100.0,
        True,
        32,
        "tul.com.tw:pynq-z2:part0:1.0",
        {
            "part": f"{_HLS4ML} (pynq-z2: xc7z020clg400-1); TUL PYNQ-Z2 board files",
            "clock": "PYNQ-Z2 base overlay: FCLK_CLK0 100 MHz (PYNQ docs, pynq.ps.Clocks)",
            "dma": "hls4ml VivadoAccelerator pynq-z2 design: AXI DMA on HP0, 32-bit stream",
        },
    ),
    Board(
        "zcu104",
        "xczu7ev-ffvc1156-2-e",
        "Zynq UltraScale+",
        "zynq-ps8",
        "axi-dma",
        100.0,
        True,
        64,
        "xilinx.com:zcu104:part0:1.1",
        {
            "part": "AMD ZCU104 user guide UG1267: XCZU7EV-2FFVC1156",
            "clock": "PYNQ ZCU104 image: pl_clk0 100 MHz (pynq.ps.Clocks.fclk0_mhz)",
            "dma": "FINN zynq-iodma / AXI DMA on HP ports, 64-bit (finn-plus ZCU104 example designs)",
        },
    ),
    Board(
        "kv260",
        "xck26-sfvc784-2LV-c",
        "Kria K26 SOM",
        "zynq-ps8",
        "axi-dma",
        100.0,
        True,
        64,
        "xilinx.com:kv260_som:part0:1.4",
        {
            "part": "AMD Kria K26 SOM data sheet DS987: XCK26-SFVC784-2LV-C",
            "clock": "Kria-PYNQ: pl_clk0 100 MHz default",
            "dma": "AXI DMA on the PS8 HP ports, 64-bit, as on ZCU104",
        },
    ),
    Board(
        "zcu102",
        "xczu9eg-ffvb1156-2-e",
        "Zynq UltraScale+",
        "zynq-ps8",
        "axi-dma",
        100.0,
        True,
        64,
        "xilinx.com:zcu102:part0:3.4",
        {
            "part": f"{_HLS4ML} (zcu102: xczu9eg-ffvb1156-2-e); AMD UG1182",
            "clock": "hls4ml VivadoAccelerator zcu102 design: pl_clk0 100 MHz",
            "dma": "hls4ml VivadoAccelerator zcu102 design: AXI DMA, 64-bit",
        },
    ),
    Board(
        "alveo-u250",
        "xcu250-figd2104-2L-e",
        "Alveo",
        "alveo-xdma",
        "xdma",
        300.0,
        False,
        512,
        None,
        {
            "part": f"{_HLS4ML} (alveo-u250: xcu250-figd2104-2L-e); AMD DS962",
            "clock": "xilinx_u250_gen3x16_xdma platform: kernel clock 300 MHz default (Vitis)",
            "dma": "XDMA shell, Vitis kernel with 512-bit AXI4 memory-mapped ports (m_axi)",
        },
    ),
    Board(
        "xcvu13p",
        "xcvu13p-flga2577-2-e",
        "Virtex UltraScale+",
        "none",
        "none",
        200.0,
        False,
        0,
        None,
        {
            "part": "AMD DS923 (VU13P); the device of many LHC L1-trigger boards",
            "clock": "L1 trigger designs run at multiples of the 40 MHz LHC clock; 200 MHz (5 ns) is common",
            "dma": "none: the deliverable is an IP core (Vivado IP, AXI4-Stream or flat ports), no shell",
        },
    ),
):
    BOARDS.register(_b)
