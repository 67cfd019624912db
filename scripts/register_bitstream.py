"""Record a bitstream built by `make bitstream RUN=...` in bitstreams/manifest.json (sha256,
board, part, clock as read from its .hwh, the run it came from). Run only after Vivado wrote
the files; it refuses when they are not there."""

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

from hwcodesign.tools.pynq import parse_hwh

REPO = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    deploy = Path(sys.argv[1]) / "deploy"
    bit, hwh = deploy / "hwcd_accel.bit", deploy / "hwcd_accel.hwh"
    if not bit.is_file() or not hwh.is_file():
        sys.exit(f"{bit} / {hwh} not found: Vivado did not finish")
    facts = parse_hwh(hwh.read_text())
    manifest_path = REPO / "bitstreams" / "manifest.json"
    entries = json.loads(manifest_path.read_text() or "[]") if manifest_path.is_file() else []
    if isinstance(entries, dict):
        entries = entries.get("bitstreams", [])
    entries.append(
        {
            "run": str(Path(sys.argv[1]).resolve()),
            "bitstream": str(bit),
            "sha256": hashlib.sha256(bit.read_bytes()).hexdigest(),
            "device": facts["device"],
            "board": facts["board"],
            "vivado": facts["vivado"],
            "pl_clocks_mhz": facts["pl_clocks_mhz"],
            "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )
    manifest_path.write_text(json.dumps({"bitstreams": entries}, indent=2) + "\n")
    print(f"registered {bit} in {manifest_path}")
