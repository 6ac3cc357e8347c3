// name: concept_timeline
// description: Papers per concept per year (papers whose published date starts with a year), optionally for one concept or one type.
// params: concept_id: str = null, type: str = null, limit: int = 1000
// columns: concept_id, name, year, papers
MATCH (p:Paper)-[:PROPOSES|USES|EVALUATES_ON|ADDRESSES|HAS_CODE]->(c)
WHERE p.published =~ '[0-9]{4}.*'
  AND ($concept_id IS NULL OR c.id = $concept_id)
  AND ($type IS NULL OR c.type = $type)
WITH c, toInteger(left(p.published, 4)) AS year, count(DISTINCT p) AS papers
RETURN c.id AS concept_id,
       c.name AS name,
       year,
       papers
ORDER BY concept_id, year
LIMIT $limit
