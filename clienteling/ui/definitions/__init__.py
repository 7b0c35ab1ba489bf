"""The definitions editor (admins): benefit and reward definitions, their form and timeframe."""
