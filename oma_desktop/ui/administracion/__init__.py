"""The Administración page: the casa's details and slip settings (issue #8, point 9)."""
