"""The social_prescribing plug-in's Alembic branch (a package, so it ships in the wheel)."""
