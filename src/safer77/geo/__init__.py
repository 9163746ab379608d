"""Geography: point-in-polygon assignment and projections."""
