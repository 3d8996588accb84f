"""Housing proofs (有房/无房证明). — endpoints."""
