"""The social_prescribing plug-in's hooks (being built)."""
