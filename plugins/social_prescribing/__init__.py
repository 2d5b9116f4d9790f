"""The social_prescribing plug-in (being built)."""
