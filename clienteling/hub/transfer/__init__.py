"""Bringing a retailer's data into a hub and out again (SPEC §7 "Bringing a retailer's data in
and out", issue 16): ``clienteling hub import`` and ``hub export``.

- ``files``: rows from a CSV file with a header or from JSON Lines, streamed with their line
  numbers; the same formats written back.
- ``kinds``: per kind of record, how a row becomes an API body (the API's field names; a
  profile's card is the column ``card``), the natural key it is found by (SPEC §7), and how
  it is created or updated through the engine's services — the same checks as the API.
- ``run``: the import loop (one transaction per chunk, a savepoint per row, a report of the
  rejected rows, progress, a JSON summary) and the export loop.
"""
