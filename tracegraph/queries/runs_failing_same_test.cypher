// answers: Verifier tests that fail in several runs of the same task, with the runs.
// params: min_runs (integer: fewest failing runs), include_unblamed (boolean; default false: also count runs triage found not to be the agent's failure)
// example: tracegraph query runs_failing_same_test --param min_runs=2
MATCH (r:Run)-[:HAS_TEST]->(t:TestCase)
WHERE t.status IN ['failed', 'error']
  AND ($include_unblamed OR coalesce(r.triage, 'agent_failed') IN ['agent_failed', 'agent_timed_out'])
OPTIONAL MATCH (r)-[:OF_TASK]->(tk:Task)
WITH coalesce(tk.name, r.task_id) AS task, t.name AS test, r.name AS run
ORDER BY run
WITH task, test, collect(DISTINCT run) AS runs
WHERE size(runs) >= $min_runs
RETURN task, test, size(runs) AS failing_runs, runs
ORDER BY failing_runs DESC, task, test
