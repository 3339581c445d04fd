// answers: Tool-error rate and no-op count per framework, model and tool, over every step of every run.
// params: min_calls (integer: fewest calls for a row), include_unblamed (boolean; default false: also count runs triage found not to be the agent's failure)
// example: tracegraph query tool_error_rates --param min_calls=5
MATCH (r:Run)-[:HAS_STEP]->(s:Step)
WHERE ($include_unblamed OR coalesce(r.triage, 'agent_failed') IN ['agent_failed', 'agent_timed_out'])
WITH r.framework AS framework, coalesce(r.model, r.agent, 'unknown') AS model, s.tool AS tool, count(s) AS calls,
     toInteger(sum(CASE WHEN s.is_error THEN 1 ELSE 0 END)) AS errors,
     toInteger(sum(CASE WHEN s.is_noop THEN 1 ELSE 0 END)) AS noops
WHERE calls >= $min_calls
RETURN framework, model, tool, calls, errors, toFloat(errors) / calls AS error_rate, noops
ORDER BY error_rate DESC, calls DESC, framework, model, tool
