"""Partner API for banks, developers and agencies. — endpoints."""
