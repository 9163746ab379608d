"""The read-only web server: the published site plus a JSON API over the warehouse."""
