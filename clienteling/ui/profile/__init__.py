"""The open customer profile: the panel, its header and tabs, what its buttons do, and its dialogs."""
