"""The admin's reactions editor (SPEC 3.9, §5): what issues itself, when, to whom."""
