"""Getting records in: files and folders, finding aids, OAI-PMH harvests, the demo set."""
