// name: concepts_of_paper
// description: The concepts a paper proposes, uses, evaluates on, addresses or links code for, optionally of one type.
// params: paper_id: str, type: str = null
// columns: relation, concept_id, type, name, count
MATCH (:Paper {id: $paper_id})-[r:PROPOSES|USES|EVALUATES_ON|ADDRESSES|HAS_CODE]->(c)
WHERE $type IS NULL OR c.type = $type
RETURN type(r) AS relation,
       c.id AS concept_id,
       c.type AS type,
       c.name AS name,
       r.count AS count
ORDER BY relation, concept_id
