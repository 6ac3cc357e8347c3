// name: papers_by_concept
// description: Papers linked to a concept, found by id, name or alias (case-insensitive), with the relationship type.
// params: concept: str, limit: int = 50
// columns: concept_id, concept, relation, paper_id, title, published
MATCH (c:Method|Dataset|Benchmark|Task|Repo)
WHERE c.id = $concept
   OR toLower(c.name) = toLower($concept)
   OR any(alias IN c.aliases WHERE toLower(alias) = toLower($concept))
MATCH (p:Paper)-[r:PROPOSES|USES|EVALUATES_ON|ADDRESSES|HAS_CODE]->(c)
RETURN c.id AS concept_id,
       c.name AS concept,
       type(r) AS relation,
       p.id AS paper_id,
       p.title AS title,
       p.published AS published
ORDER BY paper_id, concept_id, relation
LIMIT $limit
