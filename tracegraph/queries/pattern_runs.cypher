// answers: The runs of a mined pattern: outcome, model, whether it touches the onset, and the steps it matched.
// params: pattern (string: a Pattern id or its signature, as `tracegraph mine` prints it)
// example: tracegraph query pattern_runs --param pattern="noop > repeat"
MATCH (r:Run)-[e:EXHIBITS]->(p:Pattern)
WHERE p.id = $pattern OR p.signature = $pattern
OPTIONAL MATCH (p)-[:MATCHES]->(s:Step)
WHERE s.run_id = r.id
WITH p, r, e, s ORDER BY s.k
RETURN p.signature AS pattern, r.name AS run, r.outcome AS outcome, r.model AS model, e.at_onset AS at_onset,
       collect(s.k) AS steps
ORDER BY outcome, at_onset DESC, run
