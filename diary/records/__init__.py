"""What leaves the app as a record: the CSV exports and their queries, the Excel workbooks,
the research files (wide, series, REDCap), FHIR bundles, and the block report with its PDF."""
