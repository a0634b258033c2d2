"""Capacity in FHIR: HL7 SANER MeasureReports in, the directory and capacity out."""
