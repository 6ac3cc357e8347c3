// name: cooccurring_concepts
// description: Concepts that appear in the same papers as a given concept, by number of shared papers, optionally of one type.
// params: concept_id: str, type: str = null, limit: int = 20
// columns: concept_id, type, name, papers
MATCH (c:Method|Dataset|Benchmark|Task|Repo {id: $concept_id})
      <-[:PROPOSES|USES|EVALUATES_ON|ADDRESSES|HAS_CODE]-(p:Paper)
      -[:PROPOSES|USES|EVALUATES_ON|ADDRESSES|HAS_CODE]->(other)
WHERE other <> c AND ($type IS NULL OR other.type = $type)
RETURN other.id AS concept_id,
       other.type AS type,
       other.name AS name,
       count(DISTINCT p) AS papers
ORDER BY papers DESC, concept_id
LIMIT $limit
