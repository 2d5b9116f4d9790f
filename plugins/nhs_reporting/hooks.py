"""The nhs_reporting plug-in's hooks (being built)."""
