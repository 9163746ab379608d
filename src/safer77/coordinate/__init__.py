"""The Community Safety Coordination Center's analytics: priority ranking, hotspots, 311 risk."""
