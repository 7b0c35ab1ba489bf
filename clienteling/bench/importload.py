"""``hub import`` of the data set's size of customers from CSV into a new hub (SPEC §8: a
million profiles in at most five minutes; issue 16).

The CSV is written first, in the columns a retailer's export would have (names, email,
phone, birth date, tier, join date, home store, card), deterministic for the seed; then it
is imported by the command's own code (``hub.transfer.run.import_file``) into a new SQLite
hub that holds just the store and the admin the import is made as. The keys:
``hub_import_s`` (the import alone), ``hub_import_rows_per_s`` (the target, independent of
the scale: a million in five minutes is 3,334 a second) and ``hub_import_rss_mb`` (the
process's peak resident memory after it: the import streams, so this stays flat).
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path
from typing import Any

from clienteling.bench.memory import own_peak_kb, reset_peak
from clienteling.bench.run import BenchRun
from clienteling.engine.services import Clienteling
from clienteling.hub.transfer.kinds import kind_named
from clienteling.hub.transfer.run import import_file

_FIRST = ("Jane", "Oliver", "Mia", "Noah", "Charlotte", "Jack", "Amelia", "Leo", "Isla", "Hugo")
_LAST = ("Citizen", "Smith", "Wong", "Brown", "Taylor", "Nguyen", "Kelly", "Singh", "Rossi", "Li")
_TIERS = ("", "silver", "gold")


def write_customers(path: Path, count: int, store_id: str, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as stream:
        out = csv.writer(stream)
        out.writerow(["first_name", "last_name", "email", "mobile_phone", "birth_date", "tier",
                      "join_date", "home_store_id", "card"])
        for n in range(count):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            out.writerow([first, f"{last}{n % 997}", f"c{n}@example.com", f"04{n:08d}",
                          f"19{rng.randint(40, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                          rng.choice(_TIERS), f"20{rng.randint(10, 25)}-01-15", store_id,
                          f"7{n:012d}"])


def measure(run: BenchRun) -> dict[str, Any]:
    hub_path = run.workdir / "import-hub.db"
    source = run.workdir / "customers.csv"
    with Clienteling.open(f"sqlite:///{hub_path}", mode="hub") as cl:
        store = cl.staff.create_store(None, {"name": "Import", "timezone": "Australia/Melbourne"})
        cl.staff.create_staff(None, {"username": "importer", "display_name": "Importer",
                                     "role": "admin", "store_id": store.id, "pin": "905238"})
        run.progress(f"importload: writing {run.scale:,} customers as CSV")
        write_customers(source, run.scale, store.id, run.seed)
        actor = cl.transfer.importer("importer")
        run.progress(f"importload: hub import of {run.scale:,} customers")
        reset_peak()  # the import's own peak, not an earlier part's
        started = time.perf_counter()
        summary = import_file(cl, cl.transfer, kind_named("profiles"), source, "csv", actor=actor)
        seconds = time.perf_counter() - started
    if summary.created != run.scale:
        raise RuntimeError(f"the import made {summary.created:,} of {run.scale:,} profiles "
                           f"({summary.rejected:,} rejected: {summary.report})")
    return {
        "hub_import_s": round(seconds, 1),
        "hub_import_rows_per_s": round(run.scale / seconds),
        "hub_import_rss_mb": round(own_peak_kb() / 1024),
    }
