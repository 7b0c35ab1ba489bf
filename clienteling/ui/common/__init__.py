"""Widgets, formatting, errors and the theme that several features use."""
