"""Hoy: the day's attentions at this casa, with counts, to print and export."""
