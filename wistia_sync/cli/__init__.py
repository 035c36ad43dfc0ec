"""The command-line interface: a thin layer over the library.

``entry`` answers ``--version`` and ``--help`` before Typer is imported; ``registry`` names every
command and where it lives; ``app`` builds the Typer app, importing a command's module only when
that command runs. Nothing is imported here, so the fast paths stay fast.
"""
