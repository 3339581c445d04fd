// answers: Steps that depend on a run's onset step, directly or through other steps (DEPENDS_ON followed back to the onset).
// params: run_id (run: its name, a unique prefix or its id), method (string: heuristic | llm | hybrid)
// example: tracegraph query onset_dependents --param run_id=<run id> --param method=heuristic
MATCH (r:Run {id: $run_id})-[:HAS_DIAGNOSIS]->(d:Diagnosis {method: $method})-[:ONSET]->(onset:Step)
MATCH p = (s:Step)-[:DEPENDS_ON*1..]->(onset)
WITH d, onset, s, min(length(p)) AS hops
OPTIONAL MATCH (s)-[direct:DEPENDS_ON]->(onset)
RETURN onset.k AS onset_k, s.k AS k, hops, direct.reason AS direct_reason, s.stage AS stage, s.kind AS kind,
       s.k IN d.chain_ks AS in_chain, s.action AS action
ORDER BY k
