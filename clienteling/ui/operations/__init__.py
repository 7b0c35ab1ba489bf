"""The engine calls the desktop submits to the engine worker, one module per feature area.

Each is a plain function ``(cl, ...) -> result`` that runs on the worker thread and returns
plain values (never an ORM object) for the GUI thread."""
