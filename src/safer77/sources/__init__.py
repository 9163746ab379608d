"""Downloaders for the open-data sources safer77 reads."""
