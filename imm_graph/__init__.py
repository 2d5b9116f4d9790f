"""imm_graph: the partner data platform of Intergenerational Music Making."""

__version__ = "0.1.0"
