"""Finding a customer: the search list and its model, and scanned codes."""
