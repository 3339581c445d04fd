// answers: The steps of a run in order, walking the NEXT chain from step 1.
// params: run_id (run: its name, a unique prefix or its id)
// example: tracegraph query next_chain --param run_id=<run id>
MATCH (r:Run {id: $run_id})-[:HAS_STEP]->(first:Step {k: 1})
MATCH (first)-[:NEXT*0..]->(s:Step)
RETURN s.k AS k, s.tool AS tool, s.kind AS kind, s.stage AS stage, s.is_error AS is_error, s.action AS action
ORDER BY k
