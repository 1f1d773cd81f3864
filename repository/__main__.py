"""``python -m repository`` is ``opis``."""

from repository.cli import main

main()
