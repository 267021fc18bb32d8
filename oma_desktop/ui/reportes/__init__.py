"""Reportes: the general report, the two diagnostics and the R4V 5W, on screen and exported."""
