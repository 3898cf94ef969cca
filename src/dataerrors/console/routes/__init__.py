"""Route handlers of the console API, one module per area."""
