// name: papers_with_code
// description: Papers that link a code repository, with their repos, optionally only papers linked to one concept.
// params: concept_id: str = null, limit: int = 50
// columns: paper_id, title, repos
MATCH (p:Paper)-[:HAS_CODE]->(r:Repo)
WHERE $concept_id IS NULL
   OR EXISTS { (p)-[:PROPOSES|USES|EVALUATES_ON|ADDRESSES|HAS_CODE]->({id: $concept_id}) }
WITH p, r
ORDER BY r.id
WITH p, collect(r.id) AS repos
RETURN p.id AS paper_id,
       p.title AS title,
       repos
ORDER BY paper_id
LIMIT $limit
