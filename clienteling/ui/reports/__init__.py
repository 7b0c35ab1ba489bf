"""The Reports window: charts, tables, CSV and PDF (SPEC §5, issue 18)."""
