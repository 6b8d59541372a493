"""Every fixed number and name of the E-utilities that elinkcli relies on, in one place."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
# LinkOut icon URLs may be relative to NCBI's web site.
NCBI_WEB = "https://www.ncbi.nlm.nih.gov/"
TOOL = "elinkcli"

ENV_BASE_URL = "ELINKCLI_BASE_URL"
# Citations (elinkcli.commands.citations): NIH iCite and Europe PMC's REST service.
DEFAULT_ICITE_URL = "https://icite.od.nih.gov/api/"
DEFAULT_EUROPEPMC_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest/"
ENV_ICITE_URL = "ELINKCLI_ICITE_URL"
ENV_EUROPEPMC_URL = "ELINKCLI_EUROPEPMC_URL"
ENV_API_KEY = "NCBI_API_KEY"
ENV_EMAIL = ("NCBI_EMAIL", "EMAIL")
# Seconds of the first retry wait (it doubles per try, capped); lowered by test suites.
ENV_BACKOFF_BASE = "ELINKCLI_BACKOFF_BASE"
ENV_CACHE_DIR = "ELINKCLI_CACHE_DIR"
# The cache's journal: auto (WAL, a rollback journal on a network file system), wal, delete.
ENV_CACHE_JOURNAL = "ELINKCLI_CACHE_JOURNAL"
# Where processes share their request starts (pacing): the user's state directory.
ENV_STATE_DIR = "ELINKCLI_STATE_DIR"
ENV_MAX_TIME = "ELINKCLI_MAX_TIME"
ENV_CONFIG = "ELINKCLI_CONFIG"
ENV_ADAPTIVE_BATCH = "ELINKCLI_ADAPTIVE_BATCH"
ENV_DEBUG = "ELINKCLI_DEBUG"
# The output format when stdout is not a terminal and --format is not given.
ENV_FORMAT = "ELINKCLI_FORMAT"
ENV_LINKS_FROM = "ELINKCLI_LINKS_FROM"
ENV_TABLES_DIR = "ELINKCLI_TABLES_DIR"
ENV_TABLES_URL = "ELINKCLI_TABLES_URL"
ENV_TABLES_MEMORY = "ELINKCLI_TABLES_MEMORY"
# A table older than this (since loaded) is not used by --from auto: ELink answers.
TABLES_MAX_AGE = 30 * 86400
# Settings the config file may hold (elinkcli.config reads them).
CONFIG_FILE_KEYS = (
    "email",
    "api_key",
    "base_url",
    "cache_dir",
    "cache_ttl",
    "cache_journal",
    "timeout",
    "deadline",
    "max_time",
    "adaptive_batch",
    "icite_url",
    "europepmc_url",
    "citations_from",
    "format",
    "links_from",
    "tables_dir",
    "tables_url",
    "tables_max_age",
)

# ELink tables change weekly.
CACHE_TTL = 7 * 86400
# The cache trims its oldest entries when its file's pages in use pass this size.
CACHE_MAX_BYTES = 512 * 1024 * 1024

ELINK = "elink.fcgi"
EINFO = "einfo.fcgi"
EPOST = "epost.fcgi"
EFETCH = "efetch.fcgi"
ESEARCH = "esearch.fcgi"
ESUMMARY = "esummary.fcgi"

# History sets are expanded to ids with efetch uilist, this many per page (NCBI's maximum).
UILIST_PAGE = 10_000
# A search is read with ESearch this many ids at a time: PubMed returns no more than the
# first 9,999 ids of a result (retstart above 9,998 is refused), so a larger result is read
# in UID ranges, `(QUERY) AND FROM:TO[UID]`, each holding at most this many.
SEARCH_PAGE = 9_999
# The highest UID any Entrez database hands out is below this (GI numbers are the largest).
UID_CEILING = 10_000_000_000
# Ids per EPost request when a large input is stored on the History server.
EPOST_BATCH = 5_000

# NCBI counts request *starts*: 3/s without a key, 10/s with one (429 past that in any
# second). elinkcli allows at most that many starts (the burst) in any window of burst x
# interval = 1.2 s: any limit+1 starts in a row span 1.2 s, a 200 ms margin (on a busy
# machine, 8 processes beside CPU burners, a start reached a server that counts arrivals up
# to 109 ms late relative to the ones after it: `python bench/pacing.py`), while a one-off
# lookup after another one starts at once if the window has room.
START_INTERVAL_NO_KEY = 0.40
START_INTERVAL_WITH_KEY = 0.12
START_BURST_NO_KEY = 3
START_BURST_WITH_KEY = 10
# NCBI answers in 0.5-3 s; keep enough requests in flight to use the whole allowance.
MAX_IN_FLIGHT_NO_KEY = 8
MAX_IN_FLIGHT_WITH_KEY = 24

DEFAULT_BATCH = 100
MAX_BATCH = 1000
# --adaptive-batch: a request of the current size answered within FAST_ANSWER seconds
# doubles the size (up to MAX_BATCH); a timeout, a 5xx, a bad body or an answer slower than
# SLOW_ANSWER halves it (never below --batch).
FAST_ANSWER = 2.0
SLOW_ANSWER = 20.0

CONNECT_TIMEOUT = 10.0
# One try, from connecting to the last byte of the answer (--timeout).
READ_TIMEOUT = 60.0
# What the answers a process holds at once (read, decompressed, being parsed) may take in
# all, whatever the number in flight: no real answer comes near it (a 1,000-id
# pubmed_pubmed neighbor_score answer is a few MB). One answer past it is cut off and its
# request fails; one that finds it full is asked again. ELINKCLI_MAX_BODY (bytes) sets it.
MAX_BODY = 256 * 1024 * 1024
ENV_MAX_BODY = "ELINKCLI_MAX_BODY"
# The whole run (--max-time); 0 means no limit. Six hours: past any real run (a million ids
# at 2.5 requests/s of 1,000 ids is 7 minutes), short of a cron job piling onto the next.
MAX_TIME = 6 * 3600.0
# Per request, all attempts together; a batch that is not answered by then is given up.
DEADLINE = 300.0
MAX_TRIES = 6
# An <ERROR> text neither known transient nor known permanent: asked once more.
MAX_TRIES_UNKNOWN_ERROR = 2
# No DNS answer, or nothing listening: asked twice more, then said in words.
MAX_TRIES_NO_CONNECTION = 3
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0

NEIGHBOR_CMDS = ("neighbor", "neighbor_score", "neighbor_history")
LINK_CMDS = ("neighbor", "neighbor_score")
DATE_TYPES = ("mdat", "pdat", "edat")

DB_ALIASES = {"nucleotide": "nuccore"}

# chain: warn when a hop has more ids than this to link.
WARN_ABOVE = 10_000

# The formats each command writes (its --format choices; ELINKCLI_FORMAT applies where listed).
COMMAND_FORMATS: dict[str, tuple[str, ...]] = {
    "link": ("tsv", "json", "jsonl", "table", "uid", "edirect", "xml", "counts"),
    "chain": ("tsv", "json", "jsonl", "table", "uid", "edirect"),
    "check": ("tsv", "json", "jsonl", "table", "uid", "edirect"),
    "discover": ("tsv", "json", "jsonl", "table", "uid"),
    "linkout": ("tsv", "json", "jsonl", "table", "urls"),
}
