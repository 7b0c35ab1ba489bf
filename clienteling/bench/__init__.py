"""``clienteling bench``: SPEC §8's performance targets, measured (issue 10).

The command builds the SPEC §8 data set (or ``--scale N`` of it) into a till database with
bulk inserts, then runs each *part* in turn and prints one JSON object with every key.
A part is a module here with one function::

    def measure(run: BenchRun) -> dict[str, Any]

that returns its keys (see :mod:`clienteling.bench.run`). Parts never assert on time:
the numbers are reported, and ``docs/performance.md`` compares them with the targets.

- :mod:`.dataset`: the data set (``build_s``, ``sizes``)
- :mod:`.local`: search, open a profile, redeem, through the engine's services
- :mod:`.conditions`: claim condition evaluations per second, ours and panzi-json-logic
- :mod:`.syncload`: first sync against raw SQLite inserts, push of queued changes
- :mod:`.hubload`: hub redeems per second (SQLite and PostgreSQL × benefit and amount),
  and one redeem locally against the same redeem over loopback
- :mod:`.desktop`: start-up to a usable window, memory after browsing, open a profile
  through the desktop
- :mod:`.machine`: cores, memory, Python, SQLite and PostgreSQL versions
"""
