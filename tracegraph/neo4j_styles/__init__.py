"""Files for looking at the graph in Neo4j's own tools: a Browser stylesheet and a Bloom perspective."""
