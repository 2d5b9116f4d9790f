"""The podcast plug-in's hooks (being built)."""
