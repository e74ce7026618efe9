"""vault domain."""
