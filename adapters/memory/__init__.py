"""The reference adapter: plain Python structures in one process."""
