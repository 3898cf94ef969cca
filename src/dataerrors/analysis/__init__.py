"""Pure analysis functions: arrays in, arrays out, no file or network I/O, no global state."""
