// name: search_papers
// description: Full-text search over paper titles and abstracts; score is the backend's relevance (Lucene on Neo4j, BM25 embedded), compare ranks not values.
// params: query: str, limit: int = 10
// columns: id, title, score
CALL db.index.fulltext.queryNodes('paper_text', $query) YIELD node, score
RETURN node.id AS id,
       node.title AS title,
       score
ORDER BY score DESC, id
LIMIT $limit
