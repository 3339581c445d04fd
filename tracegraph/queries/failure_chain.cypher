// answers: The failure chain of a run: onset step, then each step the error propagated to; the last step lists the failing tests.
// params: run_id (run: its name, a unique prefix or its id), method (string: heuristic | llm | hybrid)
// example: tracegraph query failure_chain --param run_id=<run id> --param method=heuristic
MATCH (r:Run {id: $run_id})-[:HAS_DIAGNOSIS]->(d:Diagnosis {method: $method})-[l:LABELS {role: 'chain'}]->(s:Step)
OPTIONAL MATCH (r)-[:HAS_TEST]->(t:TestCase)
WHERE t.status IN ['failed', 'error']
WITH d, s, l, t ORDER BY t.name
WITH d, s, l, collect(t.name) AS failing
RETURN s.k AS k, s.k = d.onset_k AS is_onset, s.stage AS stage, s.kind AS kind, s.tool AS tool, s.action AS action,
       l.reason AS reason, CASE WHEN s.k = last(d.chain_ks) THEN failing ELSE [] END AS failing_tests
ORDER BY k
