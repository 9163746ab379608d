"""The public site: static pages, charts and maps as inline SVG, open data files, a report."""
