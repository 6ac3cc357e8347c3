// name: method_benchmark_matrix
// description: Which methods are evaluated on which datasets and benchmarks: papers that use or propose the method and evaluate on the target.
// params: min_papers: int = 1, limit: int = 100
// columns: method_id, method, target_id, target_type, target, papers
MATCH (m:Method)<-[:PROPOSES|USES]-(p:Paper)-[:EVALUATES_ON]->(t:Dataset|Benchmark)
WITH m, t, count(DISTINCT p) AS papers
WHERE papers >= $min_papers
RETURN m.id AS method_id,
       m.name AS method,
       t.id AS target_id,
       t.type AS target_type,
       t.name AS target,
       papers
ORDER BY papers DESC, method_id, target_id
LIMIT $limit
