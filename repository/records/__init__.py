"""The write path every input shares: prepare a record, render it, store its page images, report."""
