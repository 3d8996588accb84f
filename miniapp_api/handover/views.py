"""交房即交证 progress for buyers and the public. — endpoints."""
