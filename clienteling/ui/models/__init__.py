"""Qt item models (``QAbstractTableModel`` subclasses) for the app's item views."""
