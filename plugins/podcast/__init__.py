"""The podcast plug-in (being built)."""
