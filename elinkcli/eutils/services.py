"""The web services elinkcli asks: NCBI's E-utilities, and for citations NIH iCite and
Europe PMC. Each has its own base URL, way of asking and pacing; they share one request
layer (elinkcli.eutils.client)."""

from __future__ import annotations

from dataclasses import dataclass

from elinkcli import constants as C


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    # GET with the parameters in the query string, or a form-encoded POST.
    method: str
    # tool, email and api_key go with every request (NCBI asks for them).
    identity: bool
    # Seconds between request starts (sustained), shared by every process of the user,
    # and the starts allowed in any window of burst x interval seconds.
    interval: float
    burst: int = 1


EUTILS = Service("eutils", "POST", True, C.START_INTERVAL_NO_KEY, C.START_BURST_NO_KEY)
# Neither iCite nor Europe PMC publishes a per-second limit: both are paced like NCBI
# without a key, each on its own schedule.
ICITE = Service("icite", "GET", False, C.START_INTERVAL_NO_KEY, C.START_BURST_NO_KEY)
EUROPEPMC = Service("europepmc", "GET", False, C.START_INTERVAL_NO_KEY, C.START_BURST_NO_KEY)
