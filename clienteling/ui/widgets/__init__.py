"""Small reusable widgets: PIN pad, JSON field with live validation, timeframe table."""
