// answers: Files written in failed runs and in solved runs: how many runs of each outcome wrote them and how many writes.
// params: min_runs (integer: fewest runs that wrote the file), include_unblamed (boolean; default false: also count runs triage found not to be the agent's failure)
// example: tracegraph query files_edited_failed_vs_solved --param min_runs=2
MATCH (r:Run)-[:HAS_STEP]->(s:Step)-[:WRITES]->(f:File)
WHERE r.outcome IN ['failed', 'solved']
  AND ($include_unblamed OR coalesce(r.triage, 'agent_failed') IN ['agent_failed', 'agent_timed_out'])
WITH f, r, count(s) AS writes
WITH f.path AS path,
     toInteger(sum(CASE WHEN r.outcome = 'failed' THEN 1 ELSE 0 END)) AS failed_runs,
     toInteger(sum(CASE WHEN r.outcome = 'solved' THEN 1 ELSE 0 END)) AS solved_runs,
     toInteger(sum(CASE WHEN r.outcome = 'failed' THEN writes ELSE 0 END)) AS failed_writes,
     toInteger(sum(CASE WHEN r.outcome = 'solved' THEN writes ELSE 0 END)) AS solved_writes
WHERE failed_runs + solved_runs >= $min_runs
RETURN path, failed_runs, solved_runs, failed_writes, solved_writes
ORDER BY failed_runs DESC, solved_runs, path
