"""Background jobs: long work (bulk mail, roster imports, reports, backups) with progress and retry."""
