"""External sources: the company's own databases that rights requests read and erase."""
