"""Orders: transactions with their billing and shipping contact, kept for the legal period."""
