"""One module per command, named after it; each imports only ``cli`` helpers and the library."""
