// Reads [{cypher, params}] as JSON on stdin; prints, for each, the diagnostics of Neo4j's Cypher 5 analysis.
const { lintCypherQuery } = require('@neo4j-cypher/language-support');

let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(({ cypher, params }) => {
    const { diagnostics } = lintCypherQuery(cypher, { defaultLanguage: 'CYPHER 5', parameters: params || {} });
    return diagnostics.map((d) => ({ severity: d.severity, message: d.message }));
  });
  process.stdout.write(JSON.stringify(out));
});
