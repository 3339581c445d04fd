// answers: Edits a run later undid: the file was deleted afterwards, or written back to an earlier version (a later write repeats the tool arguments of a write before the edit).
// params: include_unblamed (boolean; default false: also count runs triage found not to be the agent's failure)
// example: tracegraph query reverted_edits
MATCH (r:Run)-[:HAS_STEP]->(edit:Step)-[w:WRITES]->(f:File)<-[u:WRITES]-(undo:Step)<-[:HAS_STEP]-(r)
WHERE w.op IN ['create', 'modify'] AND undo.k > edit.k
  AND ($include_unblamed OR coalesce(r.triage, 'agent_failed') IN ['agent_failed', 'agent_timed_out'])
OPTIONAL MATCH (edit)-[:CALLS]->(edit_call:ToolCall)
OPTIONAL MATCH (undo)-[:CALLS]->(undo_call:ToolCall)
OPTIONAL MATCH (r)-[:HAS_STEP]->(before:Step)-[:WRITES]->(f), (before)-[:CALLS]->(before_call:ToolCall)
WHERE before.k < edit.k AND before_call.arguments_json = undo_call.arguments_json
  AND before_call.arguments_json <> edit_call.arguments_json
WITH r, f, edit, undo, u, count(before) AS restores
WHERE u.op = 'delete' OR restores > 0
RETURN r.id AS run_id, r.name AS run, r.outcome AS outcome, f.path AS path, edit.k AS edit_k, undo.k AS undo_k,
       CASE WHEN u.op = 'delete' THEN 'deleted' ELSE 'restored' END AS how, undo.action AS undo_action
ORDER BY run, path, edit_k, undo_k
