"""Sync conflicts: the changes the hub refused, in words."""
