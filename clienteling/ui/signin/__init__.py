"""Signing in and a manager's PIN override."""
