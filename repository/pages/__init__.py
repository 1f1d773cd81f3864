"""Web pages for people: browse, search, read, view, resolve citations."""
