// answers: Where in a run the onset falls: runs per bucket of onset position over run length (bucket 0 = the first 1/buckets of the steps).
// params: method (string: heuristic | llm | hybrid), buckets (integer: number of equal slices; 10 gives deciles), include_unblamed (boolean; default false: also count runs triage found not to be the agent's failure)
// example: tracegraph query onset_position_histogram --param method=heuristic --param buckets=10
MATCH (r:Run)-[:HAS_DIAGNOSIS]->(d:Diagnosis {method: $method})
WHERE d.onset_k IS NOT NULL AND r.step_count > 0
  AND ($include_unblamed OR coalesce(r.triage, 'agent_failed') IN ['agent_failed', 'agent_timed_out'])
WITH toInteger(floor(toFloat(d.onset_k - 1) * $buckets / r.step_count)) AS bucket, r.name AS run
ORDER BY run
WITH bucket, count(run) AS runs, collect(run) AS run_names
RETURN bucket, toFloat(bucket) / $buckets AS from_fraction, toFloat(bucket + 1) / $buckets AS to_fraction, runs,
       run_names
ORDER BY bucket
