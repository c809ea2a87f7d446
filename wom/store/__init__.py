"""The store: the only place that speaks SQL. One SQLite file, one writer.

The public surface is re-exported here; see each module for the details.
"""

from ..contract.times import now_micros, parse_time
from .changes import Changes
from .connection import BUSY_TIMEOUT_MS, Store, open_database
from .credits import rederive_credits
from .derive import rebuild
from .errors import Conflict, InvalidInput, NotFound, StoreError, StoreLocked
from .ingest import IngestResult, ingest
from .people import new_external_id

__all__ = [
    "BUSY_TIMEOUT_MS",
    "Changes",
    "Conflict",
    "IngestResult",
    "InvalidInput",
    "NotFound",
    "Store",
    "StoreError",
    "StoreLocked",
    "ingest",
    "new_external_id",
    "now_micros",
    "open_database",
    "parse_time",
    "rebuild",
    "rederive_credits",
]
