"""IMM's own plug-ins, found like anyone's: entry points in this project's pyproject.toml."""
