"""The sync status shown in the status bar."""
