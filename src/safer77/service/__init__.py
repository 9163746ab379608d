"""The case-management and accountability service (FastAPI + SQLAlchemy).

It owns operational data (cases, evidence, use-of-force and footage records, users, the audit
log). The public site never reads it: aggregates leave through :mod:`safer77.service.export`
into the warehouse, by the warehouse's normal load path.
"""
