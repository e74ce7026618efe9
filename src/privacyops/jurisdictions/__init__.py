"""jurisdictions domain."""
