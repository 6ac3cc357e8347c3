// name: top_concepts
// description: The concepts linked to the most papers, optionally of one type (method, dataset, benchmark, task, repo).
// params: type: str = null, limit: int = 20
// columns: concept_id, type, name, papers
MATCH (p:Paper)-[:PROPOSES|USES|EVALUATES_ON|ADDRESSES|HAS_CODE]->(c)
WHERE $type IS NULL OR c.type = $type
RETURN c.id AS concept_id,
       c.type AS type,
       c.name AS name,
       count(DISTINCT p) AS papers
ORDER BY papers DESC, concept_id
LIMIT $limit
