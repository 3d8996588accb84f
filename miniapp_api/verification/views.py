"""Certificate and proof verification by QR, number or photo. — endpoints."""
