"""Referrals in FHIR: a referral as a ServiceRequest, its progress as a Task."""
