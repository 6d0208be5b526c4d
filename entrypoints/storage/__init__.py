"""One storage container per backend, each imported only when selected."""
