"""sync layer."""
