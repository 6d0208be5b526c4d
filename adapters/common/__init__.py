"""Pieces every storage adapter shares (no driver code)."""
