"""Disclosures: every sending of personal data to a recipient, through one door, accounted for."""
