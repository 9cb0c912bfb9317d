package io.learnbridge.bench.sync;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private, throw-away PostgreSQL cluster from the server binaries installed on this machine
 * ({@code initdb} and {@code pg_ctl} on the PATH or under {@code /usr/lib/postgresql/<version>/bin},
 * as Debian's {@code postgresql} package installs them): its data folder under the benchmark's
 * folder, listening only on 127.0.0.1 on a free port (no Unix socket), trust authentication for
 * user {@code postgres}, PostgreSQL's default durability (fsync on, synchronous commit). As root it
 * runs as the OS user {@code postgres} through {@code runuser} (PostgreSQL refuses to run as root),
 * creating that user when there is none. {@link #close} stops it, and so does a shutdown hook if
 * the JVM ends first; the data folder is deleted unless kept.
 */
public final class LocalPostgres implements AutoCloseable {

    private static final String OS_USER = "postgres";
    private static final long START_SECONDS = 120;

    private final Path home;
    private final Path data;
    private final Path bin;
    private final boolean asRoot;
    private final boolean keep;
    private final int port;
    private final String version;
    private final Thread hook;
    private boolean stopped;

    private LocalPostgres(Path home, Path bin, boolean asRoot, boolean keep, int port, String version) {
        this.home = home;
        this.data = home.resolve("data");
        this.bin = bin;
        this.asRoot = asRoot;
        this.keep = keep;
        this.port = port;
        this.version = version;
        this.hook = new Thread(this::stopQuietly, "benchmark-sync-postgres-stop");
    }

    /** Initialises and starts a cluster in {@code home} (emptied first). */
    public static LocalPostgres start(Path home, boolean keep) throws IOException, InterruptedException {
        Path bin = binaries().orElseThrow(() -> new IOException("no PostgreSQL server binaries (initdb, pg_ctl, postgres) on the PATH or under "
                + "/usr/lib/postgresql/*/bin: install them with 'apt-get install -y postgresql', or pass --store-url for an existing server"));
        boolean asRoot = "0".equals(run(List.of("id", "-u"), null).strip());
        Folders.deleteTree(home);
        Files.createDirectories(home);
        if (asRoot) {
            ensureOsUser();
            exec(List.of("chown", OS_USER + ":", home.toString()), null, "chown " + home);
            if (!run(List.of("runuser", "-u", OS_USER, "--", "sh", "-c", "test -w \"$0\" && echo ok", home.toString()), null).contains("ok")) {
                throw new IOException("the OS user " + OS_USER + " cannot write " + home + " (a parent folder is closed to other users): "
                        + "pass a --dir it can enter, e.g. under /tmp");
            }
        }
        String version = run(List.of(bin.resolve("postgres").toString(), "--version"), null).strip();
        LocalPostgres pg = new LocalPostgres(home, bin, asRoot, keep, freePort(), version);
        Runtime.getRuntime().addShutdownHook(pg.hook);
        try {
            pg.initAndStart();
        } catch (IOException | InterruptedException | RuntimeException e) {
            pg.close();
            throw e;
        }
        return pg;
    }

    private void initAndStart() throws IOException, InterruptedException {
        Path log = home.resolve("initdb.log");
        exec(asUser(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", OS_USER, "--auth=trust", "-E", "UTF8", "--locale=C"), log,
                "initdb (log: " + log + ")");
        Files.writeString(data.resolve("postgresql.conf"), String.join("\n", "",
                "# benchmark-sync: private cluster, loopback only",
                "listen_addresses = '127.0.0.1'",
                "port = " + port,
                "unix_socket_directories = ''",
                ""), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        Path serverLog = home.resolve("postgres.log");
        exec(asUser(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", serverLog.toString(), "-w", "-t", String.valueOf(START_SECONDS),
                "start"), home.resolve("pg_ctl.log"), "pg_ctl start (server log: " + serverLog + ")");
    }

    /** A URL of the cluster's {@code postgres} database, for user {@code postgres} (no password). */
    public String adminUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public String user() {
        return OS_USER;
    }

    public String description() {
        return "127.0.0.1:" + port + " (" + version + ", a private cluster started for this run from " + bin + (asRoot ? " as OS user " + OS_USER : "")
                + ", data under " + data + ", default durability: fsync on, synchronous_commit on)";
    }

    @Override
    public synchronized void close() throws IOException, InterruptedException {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running this
        }
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                exec(asUser(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "-t", "60", "stop"),
                        home.resolve("pg_ctl.log"), "pg_ctl stop");
            }
        } finally {
            if (!keep) {
                Folders.deleteTree(home);
            }
        }
    }

    private void stopQuietly() {
        try {
            close();
        } catch (Exception e) {
            System.err.println("benchmark-sync: could not stop the private PostgreSQL in " + data + ": " + e.getMessage());
        }
    }

    private List<String> asUser(String... command) {
        List<String> line = new ArrayList<>();
        if (asRoot) {
            line.addAll(List.of("runuser", "-u", OS_USER, "--"));
        }
        line.addAll(List.of(command));
        return line;
    }

    /** The folder holding initdb, pg_ctl and postgres: the PATH first, then Debian's newest version. */
    static Optional<Path> binaries() {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path initdb = Path.of(dir, "initdb");
                if (Files.isExecutable(initdb)) {
                    try {
                        // Debian links /usr/bin/initdb to a wrapper; the real binaries sit beside the resolved one
                        candidates.add(initdb.toRealPath().getParent());
                    } catch (IOException e) {
                        candidates.add(initdb.getParent());
                    }
                }
            }
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                versions.filter(v -> v.getFileName().toString().matches("\\d+(\\.\\d+)?"))
                        .sorted(Comparator.comparingDouble((Path v) -> Double.parseDouble(v.getFileName().toString())).reversed())
                        .map(v -> v.resolve("bin"))
                        .forEach(candidates::add);
            } catch (IOException e) {
                // unreadable: only the PATH counts
            }
        }
        return candidates.stream()
                .filter(d -> Stream.of("initdb", "pg_ctl", "postgres").allMatch(b -> Files.isExecutable(d.resolve(b))))
                .findFirst();
    }

    private static void ensureOsUser() throws IOException, InterruptedException {
        if (runToEnd(List.of("id", "-u", OS_USER), null).exit() != 0) {
            exec(List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OS_USER), null,
                    "useradd " + OS_USER + " (PostgreSQL does not run as root)");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The output of a command that is expected to succeed quickly (empty when it failed). */
    private static String run(List<String> command, Path log) throws IOException, InterruptedException {
        Result r = runToEnd(command, log);
        return r.exit() == 0 ? r.output() : "";
    }

    private static void exec(List<String> command, Path log, String what) throws IOException, InterruptedException {
        Result r = runToEnd(command, log);
        if (r.exit() != 0) {
            String tail = log != null && Files.exists(log) ? tail(log) : r.output();
            throw new IOException(what + " failed (exit " + r.exit() + "): " + tail.strip());
        }
    }

    private record Result(int exit, String output) {
    }

    /** Runs a command to its end; its output is appended to {@code log}, or returned when there is none. */
    private static Result runToEnd(List<String> command, Path log) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (log != null) {
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        }
        Process p = pb.start();
        String out = log == null ? new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8) : "";
        if (!p.waitFor(START_SECONDS + 30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in " + (START_SECONDS + 30) + " s");
        }
        return new Result(p.exitValue(), out);
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
    }
}
