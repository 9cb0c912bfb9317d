package io.learnbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.store.Store;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the commands reach the embedded store while the bridge runs, without a network listener.
 * The embedded H2 file can be open in one process only; H2's AUTO_SERVER would share it over a
 * TCP port (and did: any local user who read the key could run code in the bridge). Instead the
 * running bridge listens on a Unix domain socket beside the store ({@code <store>.control.sock},
 * readable and writable by its owner only), and a store command ({@code drops}, {@code exceptions},
 * {@code plan}, {@code workers}, {@code rules}, {@code simulate}) started while the socket answers
 * is run by the bridge, on its own store, with the command's output sent back: the same command,
 * the same output, the same exit code.
 */
public final class StoreControl implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StoreControl.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The commands that open the store (through {@link CliStore}). */
    static final Set<String> STORE_COMMANDS = Set.of("drops", "exceptions", "plan", "workers", "rules", "simulate");

    /** The running bridge's store, for a command run on its behalf on this thread. */
    private static final ThreadLocal<Store> ATTACHED = new ThreadLocal<>();
    private static final ThreadLocal<PrintStream[]> CAPTURED = new ThreadLocal<>();
    private static volatile boolean routed;

    private final ServerSocketChannel server;
    private final Path socket;
    private final ExecutorService workers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "learnbridge-control");
        t.setDaemon(true);
        return t;
    });

    private StoreControl(ServerSocketChannel server, Path socket) {
        this.server = server;
        this.socket = socket;
    }

    /** The store a command run by the bridge uses, if this thread runs one. */
    static Optional<Store> attached() {
        return Optional.ofNullable(ATTACHED.get());
    }

    /**
     * The control socket of a store URL: beside an embedded H2 file reached without AUTO_SERVER
     * ({@code jdbc:h2:file:./data/learnbridge} has {@code ./data/learnbridge.control.sock}); empty
     * for PostgreSQL, H2 servers and AUTO_SERVER, which every process opens by itself.
     */
    public static Optional<Path> socketOf(String jdbcUrl) {
        String upper = jdbcUrl.toUpperCase(Locale.ROOT);
        if (!upper.startsWith("JDBC:H2:FILE:") && !(upper.startsWith("JDBC:H2:") && !upper.startsWith("JDBC:H2:MEM:")
                && !upper.startsWith("JDBC:H2:TCP:") && !upper.startsWith("JDBC:H2:SSL:") && !upper.startsWith("JDBC:H2:ZIP:"))) {
            return Optional.empty();
        }
        if (upper.contains(";AUTO_SERVER=TRUE")) {
            return Optional.empty();
        }
        String file = jdbcUrl.substring(jdbcUrl.indexOf(':', "jdbc:h2".length()) + 1);
        if (file.regionMatches(true, 0, "file:", 0, 5)) {
            file = file.substring(5);
        }
        int semicolon = file.indexOf(';');
        file = semicolon < 0 ? file : file.substring(0, semicolon);
        if (file.startsWith("~")) {
            file = System.getProperty("user.home") + file.substring(1);
        }
        return Optional.of(Path.of(file + ".control.sock").toAbsolutePath().normalize());
    }

    /** Starts serving commands on the store's control socket; empty when the store has none (see {@link #socketOf}). */
    public static Optional<StoreControl> serve(String jdbcUrl, Store store) {
        Optional<Path> path = socketOf(jdbcUrl);
        if (path.isEmpty()) {
            return Optional.empty();
        }
        Path socket = path.get();
        try {
            Files.deleteIfExists(socket); // left by a bridge that was killed: this process holds the store now
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            try {
                Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX filesystem: the folder's own permissions apply
            }
            StoreControl control = new StoreControl(server, socket);
            control.start(store);
            LOG.info("Commands (drops, exceptions, plan, ...) reach the store through {} while the bridge runs (no network listener)", socket);
            return Optional.of(control);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("Cannot open the control socket {}: {}; commands cannot reach the store while the bridge runs", socket, e.toString());
            return Optional.empty();
        }
    }

    private void start(Store store) {
        routeStandardStreams();
        Thread acceptor = new Thread(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel client = server.accept();
                    workers.submit(() -> answer(client, store));
                } catch (IOException e) {
                    if (server.isOpen()) {
                        LOG.warn("Control socket {}: {}", socket, e.toString());
                    }
                }
            }
        }, "learnbridge-control-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void answer(SocketChannel client, Store store) {
        try (client; InputStream in = Channels.newInputStream(client); OutputStream out = Channels.newOutputStream(client)) {
            JsonNode request = JSON.readTree(readLine(in));
            List<String> args = new ArrayList<>();
            request.path("args").forEach(a -> args.add(a.asText()));
            ByteArrayOutputStream stdout = new ByteArrayOutputStream();
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            int exit;
            ATTACHED.set(store);
            CAPTURED.set(new PrintStream[] {new PrintStream(stdout, true, StandardCharsets.UTF_8), new PrintStream(stderr, true, StandardCharsets.UTF_8)});
            try {
                exit = STORE_COMMANDS.contains(args.isEmpty() ? "" : args.get(0)) ? LearnBridgeCli.execute(args.toArray(String[]::new)) : 2;
                if (exit == 2 && !STORE_COMMANDS.contains(args.isEmpty() ? "" : args.get(0))) {
                    System.err.println("not a store command: " + args);
                }
            } finally {
                CAPTURED.remove();
                ATTACHED.remove();
            }
            ObjectNode answer = JSON.createObjectNode();
            answer.put("exit", exit);
            answer.put("out", stdout.toString(StandardCharsets.UTF_8));
            answer.put("err", stderr.toString(StandardCharsets.UTF_8));
            out.write(JSON.writeValueAsBytes(answer));
            out.flush();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Control socket {}: a command failed: {}", socket, e.toString());
        }
    }

    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
            line.write(b);
            if (line.size() > 1 << 20) {
                throw new IOException("request too long");
            }
        }
        return line.toByteArray();
    }

    /**
     * Runs a store command in the bridge that holds the store, when one is running: its output is
     * printed here and its exit code returned. Empty when no bridge answers on the socket (the
     * command then opens the store itself).
     */
    static Optional<Integer> forward(Path socket, String[] args) {
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ObjectNode request = JSON.createObjectNode();
            var array = request.putArray("args");
            for (String arg : absolutePaths(args)) {
                array.add(arg);
            }
            OutputStream out = Channels.newOutputStream(channel);
            out.write(JSON.writeValueAsBytes(request));
            out.write('\n');
            out.flush();
            JsonNode answer = JSON.readTree(Channels.newInputStream(channel));
            System.out.print(answer.path("out").asText());
            System.out.flush();
            System.err.print(answer.path("err").asText());
            return Optional.of(answer.path("exit").asInt(1));
        } catch (IOException e) {
            return Optional.empty(); // a socket left by a bridge that is gone: the store is free
        }
    }

    /** Option values naming files that exist here, made absolute: the bridge runs the command in its own working directory. */
    private static List<String> absolutePaths(String[] args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            int eq = arg.startsWith("--") ? arg.indexOf('=') : -1;
            if (eq > 0) {
                out.add(arg.substring(0, eq + 1) + absolute(arg.substring(eq + 1)));
            } else if (i > 0 && args[i - 1].startsWith("--") && args[i - 1].indexOf('=') < 0 && !arg.startsWith("-")) {
                out.add(absolute(arg));
            } else {
                out.add(arg);
            }
        }
        return out;
    }

    private static String absolute(String value) {
        try {
            Path path = Path.of(value);
            return !value.isEmpty() && !path.isAbsolute() && Files.exists(path) ? path.toAbsolutePath().normalize().toString() : value;
        } catch (java.nio.file.InvalidPathException e) {
            return value;
        }
    }

    /** System.out and System.err write to the command's capture on a thread that runs one, as before everywhere else. */
    private static synchronized void routeStandardStreams() {
        if (routed) {
            return;
        }
        PrintStream out = System.out;
        PrintStream err = System.err;
        System.setOut(new PrintStream(new Routed(out, 0), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Routed(err, 1), true, StandardCharsets.UTF_8));
        routed = true;
    }

    private static final class Routed extends OutputStream {
        private final PrintStream fallback;
        private final int index;

        Routed(PrintStream fallback, int index) {
            this.fallback = fallback;
            this.index = index;
        }

        private PrintStream target() {
            PrintStream[] captured = CAPTURED.get();
            return captured == null ? fallback : captured[index];
        }

        @Override
        public void write(int b) {
            target().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            target().write(b, off, len);
        }

        @Override
        public void flush() {
            target().flush();
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing {}: {}", socket, e.toString());
        }
        workers.shutdown();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.debug("removing {}: {}", socket, e.toString());
        }
    }
}
