"""apiconform."""
