"""The nhs_reporting plug-in (being built)."""
