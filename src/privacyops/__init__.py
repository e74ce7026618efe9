"""privacyops: the privacy policy as code, enforced at runtime."""

__version__ = "0.1.0"
