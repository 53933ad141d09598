"""Dashboards and aggregated statistics with small-count suppression (no case content)."""
