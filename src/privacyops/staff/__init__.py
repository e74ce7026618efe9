"""staff domain."""
