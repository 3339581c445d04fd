// answers: Failure categories by the stage their onset sits in, across every diagnosed run ('none' when there is no agent onset).
// params: method (string: heuristic | llm | hybrid), include_unblamed (boolean; default false: also count runs triage found not to be the agent's failure)
// example: tracegraph query error_categories_by_stage --param method=heuristic
MATCH (r:Run)-[:HAS_DIAGNOSIS]->(d:Diagnosis {method: $method})
WHERE ($include_unblamed OR coalesce(r.triage, 'agent_failed') IN ['agent_failed', 'agent_timed_out'])
WITH coalesce(d.onset_stage, 'none') AS stage, d.category AS category, r.name AS run
ORDER BY run
RETURN stage, category, count(run) AS runs, collect(run) AS run_names
ORDER BY stage, runs DESC, category
