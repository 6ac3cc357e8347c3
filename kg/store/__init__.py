"""Graph stores: SQLite (embedded default) and Neo4j (scale-out)."""
