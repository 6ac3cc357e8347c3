// kg graph schema for Neo4j 5 (Community or Enterprise).
// Applied idempotently by `kg neo4j init` and before every load (kg.store.neo4j.Neo4jStore.init_schema).
// One statement per `;`. Labels and relationship types are kg's enums (kg.models.EntityType,
// kg.models.RelationType); property keys equal the pydantic field names (snake_case).
//
// Nodes:
//   (:Paper {id, title, abstract, url, arxiv_id, authors: [STRING], published, source})
//   (:Method|Dataset|Benchmark|Task|Repo {id, type, name, aliases: [STRING]})
// Relationships (paper -> concept): PROPOSES, USES (-> Method), EVALUATES_ON (-> Dataset|Benchmark),
//   ADDRESSES (-> Task), HAS_CODE (-> Repo), each {weight, count, evidence}
// Relationships (paper -> paper): RELATED_TO {weight, count, shared: [STRING]}

// MERGE on id relies on these: they make the lookup an index seek and forbid duplicates.
CREATE CONSTRAINT paper_id IF NOT EXISTS FOR (n:Paper) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT method_id IF NOT EXISTS FOR (n:Method) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT dataset_id IF NOT EXISTS FOR (n:Dataset) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT benchmark_id IF NOT EXISTS FOR (n:Benchmark) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT task_id IF NOT EXISTS FOR (n:Task) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT repo_id IF NOT EXISTS FOR (n:Repo) REQUIRE n.id IS UNIQUE;

// Full-text search (queries/search_papers.cypher, queries/search_concepts.cypher).
CREATE FULLTEXT INDEX paper_text IF NOT EXISTS
FOR (n:Paper) ON EACH [n.title, n.abstract];
CREATE FULLTEXT INDEX concept_names IF NOT EXISTS
FOR (n:Method|Dataset|Benchmark|Task|Repo) ON EACH [n.name, n.aliases];
