"""Mapa: where the people attended live, district by district (issue #11, point 1)."""
