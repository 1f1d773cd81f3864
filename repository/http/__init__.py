"""HTTP behaviour every feature shares."""
