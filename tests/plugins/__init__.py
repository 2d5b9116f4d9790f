"""Tests of IMM's own plug-ins (plugins/), beside the platform's."""
