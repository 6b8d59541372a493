"""The request log (`--log FILE`, elinkcli.eutils.requestlog) as tests read it: the fields
of a line in their order, the form of its `time`, and `lines`, its JSON lines parsed.

Used by tests/unit/eutils/test_request_log.py and tests/e2e/test_request_log.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

FIELDS = ["time", "endpoint", "ids", "status", "ms", "try", "outcome"]
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]
