from __future__ import annotations

import sys
from pathlib import Path

# bench/ is a folder of scripts, not a package: make loadgen importable for its unit tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
