"""Plan: 911/511 crisis-response triage and a multi-fleet dispatch simulation."""
