import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * A Neo4j 5 community server from Neo4j's own Maven artifacts: Bolt on 127.0.0.1, authentication on.
 *
 * Usage: java -cp JARS TracegraphNeo4j HOME PORT [--stop-on-eof]
 *   HOME  folder for data, logs and plugins (made if missing; a second start reuses its data)
 *   PORT  Bolt port; 0 picks a free one
 *   --stop-on-eof  also stop when standard input closes (the process that started it went away)
 * The password of user neo4j is $NEO4J_PASSWORD (not an argument: arguments are visible to every user).
 * Prints one line "tracegraph-neo4j ready bolt://127.0.0.1:PORT" once queries can run; stops on SIGTERM/SIGINT.
 */
public final class TracegraphNeo4j {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: TracegraphNeo4j HOME PORT [--stop-on-eof]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        boolean stopOnEof = args.length > 2 && args[2].equals("--stop-on-eof");
        String password = System.getenv("NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("tracegraph-neo4j: set NEO4J_PASSWORD (8 characters or more, Neo4j's minimum)");
            System.exit(2);
        }

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.plugin_dir, apocPluginDir(home))
                .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("apoc.*"))
                // Sized for a shared test machine; a store of a few thousand runs fits in this page cache.
                .setConfig(GraphDatabaseSettings.pagecache_memory, 256L * 1024 * 1024)
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                // Query logging (on by default, VERBOSE) cost the server 30% of its CPU on a batched ingest, though
                // this server writes no query.log: 0.47 -> 0.33 s per pass of bench/ingest.py's write path.
                .setConfig(GraphDatabaseSettings.log_queries, GraphDatabaseSettings.LogQueryLevel.OFF)
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }));

        try {
            setPassword(dbms, password);
            GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database("neo4j");
            var bolt = db.getDependencyResolver().resolveDependency(ConnectorPortRegister.class)
                    .getLocalAddress(ConnectorType.BOLT);
            System.out.println("tracegraph-neo4j ready bolt://127.0.0.1:" + bolt.getPort());
            System.out.flush();
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.exit(1);  // the database's own threads would keep the JVM alive
        }

        if (stopOnEof) {
            InputStream in = System.in;
            while (in.read() != -1) {
                // nothing to read: waiting for the starter to close the pipe (or die)
            }
            System.exit(0);  // runs the shutdown hook
        }
        stopped.await();
    }

    /** The system database holds the users; an embedded transaction may change them without logging in. */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        try {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (QueryExecutionException e) {
            if (!e.getMessage().contains("cannot be the same")) {  // a restart on the same data and password
                throw e;
            }
        }
    }

    /** A plugins folder holding the APOC core jars from the class path: Neo4j loads procedures only from there. */
    private static Path apocPluginDir(Path home) throws IOException {
        Path plugins = Files.createDirectories(home.resolve("plugins"));
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path jar = Path.of(entry);
            if (jar.getFileName().toString().startsWith("apoc-")) {
                Path link = plugins.resolve(jar.getFileName());
                if (!Files.exists(link)) {
                    Files.copy(jar, link);
                }
            }
        }
        return plugins;
    }
}
