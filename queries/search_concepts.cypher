// name: search_concepts
// description: Full-text search over concept names and aliases, optionally of one type; score is the backend's relevance, compare ranks not values.
// params: query: str, type: str = null, limit: int = 10
// columns: concept_id, type, name, score
CALL db.index.fulltext.queryNodes('concept_names', $query) YIELD node, score
WHERE $type IS NULL OR node.type = $type
RETURN node.id AS concept_id,
       node.type AS type,
       node.name AS name,
       score
ORDER BY score DESC, concept_id
LIMIT $limit
