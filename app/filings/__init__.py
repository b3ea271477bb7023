"""The reports the ACS files (to the Board, to the authorised bodies, for any range) as DOCX and PDF documents."""
