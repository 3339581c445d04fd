// answers: Loops: maximal stretches of consecutive steps that each repeat the previous action (REPEATS), longest first.
// params: min_length (integer: fewest steps in a loop; 3 is a loop), include_unblamed (boolean; default false: also count runs triage found not to be the agent's failure)
// example: tracegraph query loops --param min_length=3
MATCH (r:Run)-[:HAS_STEP]->(last:Step)-[:REPEATS]->(:Step)
WHERE ($include_unblamed OR coalesce(r.triage, 'agent_failed') IN ['agent_failed', 'agent_timed_out'])
OPTIONAL MATCH (later:Step)-[:REPEATS]->(last)
WITH r, last, count(later) AS repeated_later
WHERE repeated_later = 0
MATCH p = (last)-[:REPEATS*1..]->(first:Step)
WITH r, last, first, length(p) + 1 AS steps, [s IN nodes(p) | s.is_noop] AS noops
OPTIONAL MATCH (first)-[:REPEATS]->(earlier:Step)
WITH r, last, first, steps, noops, count(earlier) AS repeats_earlier
WHERE repeats_earlier = 0 AND steps >= $min_length
RETURN r.id AS run_id, r.name AS run, r.outcome AS outcome, first.k AS from_k, last.k AS to_k, steps,
       all(n IN noops WHERE n) AS all_noop, first.action AS action
ORDER BY steps DESC, run, from_k
