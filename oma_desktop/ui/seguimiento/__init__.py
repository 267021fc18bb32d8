"""Seguimiento: follow-ups due and migratory documents about to expire."""
