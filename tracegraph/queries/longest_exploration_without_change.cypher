// answers: Per run, the longest stretch of consecutive steps that changed nothing (kind explore), longest first.
// params: min_steps (integer: shortest stretch reported), include_unblamed (boolean; default false: also count runs triage found not to be the agent's failure)
// example: tracegraph query longest_exploration_without_change --param min_steps=10
MATCH (r:Run)-[:HAS_STEP]->(s:Step {kind: 'explore'})
WHERE ($include_unblamed OR coalesce(r.triage, 'agent_failed') IN ['agent_failed', 'agent_timed_out'])
OPTIONAL MATCH (r)-[:HAS_STEP]->(c:Step {kind: 'change'})
WHERE c.k > s.k
WITH r, s, min(c.k) AS next_change
WITH r, coalesce(next_change, r.step_count + 1) AS stop_k, min(s.k) AS from_k
WITH r, from_k, stop_k - 1 AS to_k, stop_k - from_k AS steps
ORDER BY steps DESC, from_k
WITH r, head(collect({from_k: from_k, to_k: to_k, steps: steps})) AS longest
WHERE longest.steps >= $min_steps
RETURN r.id AS run_id, r.name AS run, r.outcome AS outcome, longest.from_k AS from_k, longest.to_k AS to_k,
       longest.steps AS steps, r.step_count AS run_steps
ORDER BY steps DESC, run
