"""Partnerradar: find cooperation partners for regional innovation in Saxony."""
__version__ = "0.1.0"
