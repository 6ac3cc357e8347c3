// name: related_papers
// description: Papers related to a paper (its RELATED_TO links), best first, with the score and the shared concepts and terms that explain it.
// params: paper_id: str, limit: int = 10
// columns: id, title, score, shared_concepts, shared_terms
MATCH (:Paper {id: $paper_id})-[r:RELATED_TO]->(q:Paper)
RETURN q.id AS id,
       q.title AS title,
       r.weight AS score,
       [s IN r.shared WHERE NOT s STARTS WITH 'term:'] AS shared_concepts,
       [s IN r.shared WHERE s STARTS WITH 'term:' | substring(s, 5)] AS shared_terms
ORDER BY score DESC, id
LIMIT $limit
