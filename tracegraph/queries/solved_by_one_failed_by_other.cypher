// answers: Tasks one agent (framework / model) solved and another failed.
// params: include_unblamed (boolean; default false: also count runs triage found not to be the agent's failure)
// example: tracegraph query solved_by_one_failed_by_other
MATCH (r:Run)-[:OF_TASK]->(t:Task)
WHERE r.outcome IN ['solved', 'failed']
  AND ($include_unblamed OR coalesce(r.triage, 'agent_failed') IN ['agent_failed', 'agent_timed_out'])
WITH t, r, r.framework + ' / ' + coalesce(r.model, r.agent, 'unknown model') AS agent
ORDER BY agent
WITH t, collect(DISTINCT CASE WHEN r.outcome = 'solved' THEN agent END) AS solved_by,
     collect(DISTINCT CASE WHEN r.outcome = 'failed' THEN agent END) AS failed_by
WITH t, solved_by, [a IN failed_by WHERE NOT (a IN solved_by)] AS failed_only
WHERE size(solved_by) > 0 AND size(failed_only) > 0
RETURN t.name AS task, solved_by, failed_only AS failed_by
ORDER BY task
