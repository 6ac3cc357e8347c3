// name: path_between_papers
// description: Shortest paths between two different papers through shared concepts (at most 10 relationships), ordered by node ids.
// params: source: str, target: str, limit: int = 5
// columns: length, ids, names
// Filter equal ids first: a shortest-path search whose start is its end is an error in Neo4j.
WITH $source AS source, $target AS target
WHERE source <> target
MATCH path = allShortestPaths(
  (a:Paper {id: source})-[:PROPOSES|USES|EVALUATES_ON|ADDRESSES|HAS_CODE*..10]-(b:Paper {id: target})
)
WITH DISTINCT [n IN nodes(path) | n.id] AS ids,
              [n IN nodes(path) | coalesce(n.name, n.title)] AS names
RETURN size(ids) - 1 AS length, ids, names
ORDER BY ids
LIMIT $limit
