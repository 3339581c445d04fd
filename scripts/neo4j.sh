#!/usr/bin/env bash
# The bundled Neo4j 5.26 community server (no Docker): Neo4j's own jars from Maven Central, started by
# scripts/neo4j/TracegraphNeo4j.java.
#   scripts/neo4j.sh fetch                        resolve the jars into ~/.m2 and compile the launcher (idempotent)
#   scripts/neo4j.sh run HOME PORT [--stop-on-eof]   run in the foreground; data, logs in HOME; PORT 0 = a free one
# The password of user neo4j is $NEO4J_PASSWORD. The JVM heap is $NEO4J_HEAP (default 1g).
set -euo pipefail
here="$(cd "$(dirname "$0")/neo4j" && pwd)"
target="$here/target"
classpath="$target/classpath.txt"

fetch() {
    command -v java >/dev/null 2>&1 || { echo "neo4j.sh: java is not installed" >&2; exit 3; }
    command -v javac >/dev/null 2>&1 || { echo "neo4j.sh: javac (a JDK) is not installed" >&2; exit 3; }
    mkdir -p "$target/classes"
    # Resolve again only when the pom changed or a jar went missing from ~/.m2.
    if [ ! -s "$classpath" ] || [ "$here/pom.xml" -nt "$classpath" ] \
        || ! tr ':' '\n' < "$classpath" | while read -r jar; do [ -f "$jar" ] || exit 1; done; then
        command -v mvn >/dev/null 2>&1 || { echo "neo4j.sh: mvn (Maven) is not installed" >&2; exit 3; }
        # Maven's output is shown only when it fails (-q still prints colour resets).
        if ! out="$(cd "$here" && mvn -q -B dependency:build-classpath -Dmdep.outputFile="$classpath.new" 2>&1)"; then
            echo "$out" >&2
            echo "neo4j.sh: Maven could not resolve the Neo4j jars (scripts/neo4j/pom.xml)" >&2
            exit 1
        fi
        mv "$classpath.new" "$classpath"
    fi
    if [ ! -f "$target/classes/TracegraphNeo4j.class" ] \
        || [ "$here/TracegraphNeo4j.java" -nt "$target/classes/TracegraphNeo4j.class" ] \
        || [ "$classpath" -nt "$target/classes/TracegraphNeo4j.class" ]; then
        javac -nowarn -d "$target/classes" -cp "$(cat "$classpath")" "$here/TracegraphNeo4j.java"
    fi
}

case "${1:-}" in
    fetch)
        fetch
        ;;
    run)
        [ $# -ge 3 ] || { echo "usage: $0 run HOME PORT [--stop-on-eof]" >&2; exit 2; }
        fetch
        mkdir -p "$2"
        # The --add-opens let Neo4j's page cache use direct buffers, as the packaged server's own start script does.
        exec java ${NEO4J_JAVA_OPTS:-} -Xms256m -Xmx"${NEO4J_HEAP:-1g}" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
            --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
            --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
            -cp "$target/classes:$(cat "$classpath")" TracegraphNeo4j "$2" "$3" "${4:-}"
        ;;
    *)
        echo "usage: $0 fetch | run HOME PORT [--stop-on-eof]" >&2
        exit 2
        ;;
esac
